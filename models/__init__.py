"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from models.admin import Admin
from models.audit import AuditEntry
from models.base import Base, db
from models.catalog import Category, GramCount, Product, ProductGram, Sku
from models.employee import Employee
from models.idempotency import IdempotencyKey
from models.ledger import Entry, UnitTotal
from models.order import Address, Order, OrderItem
from models.reserved_share import ReservedShare, ReservedShareEvent, SharePolicy
from models.sms import SmsMessage
from models.supplier import Supplier
from models.unit import Unit, UnitBinding
from models.voucher import UnionProfile, Voucher, VoucherBatch, VoucherSpend

__all__ = [
    "Address",
    "Admin",
    "AuditEntry",
    "Base",
    "Category",
    "Employee",
    "Entry",
    "GramCount",
    "IdempotencyKey",
    "Order",
    "OrderItem",
    "Product",
    "ProductGram",
    "ReservedShare",
    "ReservedShareEvent",
    "SharePolicy",
    "SmsMessage",
    "Sku",
    "Supplier",
    "Unit",
    "UnitBinding",
    "UnitTotal",
    "UnionProfile",
    "Voucher",
    "VoucherBatch",
    "VoucherSpend",
    "db",
]
