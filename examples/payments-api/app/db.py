"""Database engine of the payments API."""
import os

from sqlalchemy import create_engine

engine = create_engine(os.environ["PAYMENTS_DATABASE_URL"], pool_pre_ping=True)
