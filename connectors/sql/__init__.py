"""Connector type `sql`: PostgreSQL, MySQL/MariaDB and SQLite stores described by a
dataset."""

from connectors.sql.connector import SqlConfig, SqlConnector
from connectors.sql.dataset import Dataset, Strategy, load_dataset

__all__ = ["Dataset", "SqlConfig", "SqlConnector", "Strategy", "load_dataset"]
