"""The crash bench's verdicts (bench/crash.py): what counts as a killed request, and which figures fail the run.

The run itself (gunicorn, kill -9, both databases) is `make bench-crash`; these check that its judgement
cannot pass a run that lost a complaint or answered a 5xx.
"""

from bench.crash import Call, Kill, attribute, ending_kill, targets_missed

RESET = "ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed connection'))"


def kill_at(moment: float, pid: int = 101) -> Kill:
    return Kill(before=moment, after=moment + 0.001, pid=pid, chosen="test", workers_before=[pid, 102, 103, 104],
                replaced_after_s=0.1)


def call(rid: str, start: float, end: float, status: int | None = 200, error: str | None = None) -> Call:
    return Call(rid=rid, kind="file_complaint", start=start, end=end, status=status, error=error, flow=1)


def test_only_unanswered_connection_errors_in_flight_at_a_kill_are_killed_requests():
    kills = [kill_at(10.0), kill_at(20.0, pid=102)]
    in_flight = call("a", 9.5, 10.2, status=None, error=RESET)
    before = call("b", 5.0, 6.0, status=None, error=RESET)           # failed before any kill
    after = call("c", 10.5, 11.0, status=None, error=RESET)          # sent after the kill: a new worker's job
    logged = call("d", 19.0, 20.5, status=None, error=RESET)         # a worker logged an answer to it
    five_xx = call("e", 9.9, 10.3, status=500)                       # an answer: the app's own 500
    fine = call("f", 9.9, 10.3)
    cut, answered_5xx, errors = attribute([in_flight, before, after, logged, five_xx, fine], kills,
                                          answered={"d": (103, "200"), "e": (103, "500"), "f": (104, "200")})
    assert [c.rid for c in cut] == ["a"]
    assert [c.rid for c in answered_5xx] == ["e"]
    assert [c.rid for c in errors] == ["b", "c", "d"]


def result(**changes) -> dict:
    base = {"backend": "sqlite", "lost": 0, "stored_incomplete": 0, "5xx_outside_kill_windows": 0,
            "connection_errors_outside_kill_windows": 0, "unexpected_4xx": 0, "audit_chain_ok": True,
            "audit_verify": "Audit chain OK", "filings_acknowledged": 40, "qr_reads": 200,
            "kills": [{"replaced_after_s": 0.1}, {"replaced_after_s": 0.2}]}
    return base | changes


def test_a_clean_run_meets_every_target():
    assert targets_missed(result()) == []


def test_a_lost_complaint_a_5xx_or_a_broken_chain_fails_the_run():
    assert targets_missed(result(lost=1)) == ["sqlite: 1 acknowledged complaint(s) lost"]
    assert targets_missed(result(**{"5xx_outside_kill_windows": 3})) == [
        "sqlite: 3 5xx answer(s) outside the kill windows"]
    assert targets_missed(result(stored_incomplete=1))
    assert targets_missed(result(connection_errors_outside_kill_windows=1))
    assert targets_missed(result(audit_chain_ok=False, audit_verify="BROKEN at entry 7"))


def test_a_run_that_tested_nothing_fails():
    assert targets_missed(result(filings_acknowledged=0))
    assert targets_missed(result(kills=[{"replaced_after_s": 0.1}]))
    assert targets_missed(result(kills=[{"replaced_after_s": 0.1}, {"replaced_after_s": None}]))


def test_a_request_spanning_two_kills_was_cut_by_the_second():
    first, second = kill_at(10.0), kill_at(20.0, pid=102)
    upload = call("a", 5.0, 20.1, status=None, error=RESET)
    assert ending_kill(upload, [first, second]) is second
    assert ending_kill(call("b", 1.0, 2.0), [first, second]) is None
