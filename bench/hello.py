"""The reference: a Flask "hello world" under the same gunicorn settings as the registry."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
