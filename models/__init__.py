"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from models.admin import Admin
from models.base import Base, db
from models.employee import Employee
from models.ledger import Entry, UnitTotal
from models.supplier import Supplier
from models.unit import Unit, UnitBinding

__all__ = [
    "Admin",
    "Base",
    "Employee",
    "Entry",
    "Supplier",
    "Unit",
    "UnitBinding",
    "UnitTotal",
    "db",
]
