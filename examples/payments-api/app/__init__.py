from flask import Flask

from .refunds import refunds


def create_app():
    app = Flask(__name__)
    app.register_blueprint(refunds)
    return app
