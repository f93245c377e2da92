"""Refund endpoint of the payments API (example code with planted problems)."""
import hashlib

from flask import Blueprint, jsonify, request

from .db import engine

refunds = Blueprint("refunds", __name__)


@refunds.post("/v1/refunds")
def create_refund():
    body = request.get_json()
    payment_id = body["payment_id"]
    # Planted SAST finding: SQL built from user input (CWE-89).
    row = engine.execute(f"SELECT amount, currency FROM payments WHERE id = '{payment_id}'").fetchone()
    if row is None:
        return jsonify(error="unknown payment"), 404
    # Planted SAST finding: MD5 used for an idempotency key (CWE-328).
    key = hashlib.md5(f"{payment_id}:{row.amount}".encode()).hexdigest()
    return jsonify(refund_id=key, amount=row.amount, currency=row.currency), 201
