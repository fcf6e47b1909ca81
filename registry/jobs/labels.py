"""Display words of jobs: what kind of work, which stage, which state."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

KIND_LABELS = {
    "campaigns.import": _l("导入店铺名单"),
    "campaigns.posters": _l("批量打印海报"),
    "opendata.export": _l("导出开放数据"),
    "reports.snapshot": _l("更新公开统计数字"),
}

STAGE_LABELS = {
    "checking": _l("正在核对名单"),
    "importing": _l("正在导入店铺"),
    "selecting": _l("正在挑选店铺"),
    "drawing": _l("正在生成 PDF"),
    "exporting": _l("正在导出文件"),
    "counting": _l("正在统计"),
    "unqueued": _l("任务没有进入后台队列"),
}

STATUS_LABELS = {
    "queued": _l("排队中"),
    "running": _l("进行中"),
    "done": _l("已完成"),
    "failed": _l("失败"),
}


def progress_text(job) -> str:
    """The line under the progress bar: the stage, and how many of how many (the page and the status JSON)."""
    if job.status == "queued":
        return _("排队中，马上开始…")
    stage = str(STAGE_LABELS.get(job.stage, STATUS_LABELS.get(job.status, "")))
    if job.total:
        return _("%(stage)s：%(done)d / %(total)d（%(percent)d%%）", stage=stage, done=job.done, total=job.total,
                 percent=job.percent)
    if job.done:
        return _("%(stage)s：已处理 %(done)d", stage=stage, done=job.done)
    return stage
