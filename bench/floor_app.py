"""The reference floor of bench/api_throughput.py: a bare Flask app, one constant JSON view."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def constant():
    return {"status": "ok", "service": "floor"}
