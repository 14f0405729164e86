"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from models.admin import Admin
from models.base import Base, db
from models.catalog import Category, GramCount, Product, ProductGram, Sku
from models.employee import Employee
from models.ledger import Entry, UnitTotal
from models.supplier import Supplier
from models.unit import Unit, UnitBinding

__all__ = [
    "Admin",
    "Base",
    "Category",
    "Employee",
    "Entry",
    "GramCount",
    "Product",
    "ProductGram",
    "Sku",
    "Supplier",
    "Unit",
    "UnitBinding",
    "UnitTotal",
    "db",
]
