"""Every blueprint the service serves, in one list: the map of the HTTP surface."""

from miniapp_api.admin import admins as admin_admins
from miniapp_api.admin import audit as admin_audit
from miniapp_api.admin import auth as admin_auth
from miniapp_api.admin import catalog as admin_catalog
from miniapp_api.admin import orders as admin_orders
from miniapp_api.admin import reserved_shares as admin_reserved_shares
from miniapp_api.admin import totals as admin_totals
from miniapp_api.admin import union as admin_union
from miniapp_api.admin import units as admin_units
from miniapp_api.admin import vouchers as admin_vouchers
from miniapp_api.mp import addresses as mp_addresses
from miniapp_api.mp import auth as mp_auth
from miniapp_api.mp import catalog as mp_catalog
from miniapp_api.mp import contribution as mp_contribution
from miniapp_api.mp import me as mp_me
from miniapp_api.mp import orders as mp_orders
from miniapp_api.mp import pay_notify as mp_pay_notify
from miniapp_api.mp import units as mp_units
from miniapp_api.mp import vouchers as mp_vouchers

BLUEPRINTS = [
    mp_auth.blp,
    mp_me.blp,
    mp_units.blp,
    mp_catalog.blp,
    mp_contribution.blp,
    mp_vouchers.blp,
    mp_addresses.blp,
    mp_orders.blp,
    mp_pay_notify.blp,
    admin_auth.blp,
    admin_admins.blp,
    admin_units.blp,
    admin_totals.blp,
    admin_catalog.blp,
    admin_vouchers.blp,
    admin_union.blp,
    admin_reserved_shares.blp,
    admin_audit.blp,
    admin_orders.blp,
]
