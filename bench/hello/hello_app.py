"""The anchor of bench/http_bench.py: Flask's "hello world", served by gunicorn exactly as the project is (same worker
class and count), so every figure of the project can be read as a ratio to what the stack itself serves."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
