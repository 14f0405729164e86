"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models import db


def test_the_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_0005_copies_each_products_lowest_price_onto_its_search_postings(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from miniapp_api.services.catalog_search import title_grams
    from models.catalog import ProductGram
    from tests.factories import make_product

    product_id = make_product("融水香糯米", prices=(3000, 2500)).id
    db.session.remove()
    downgrade(revision="0004")  # the postings as they were stored before 0005
    upgrade()

    prices = db.session.scalars(
        select(ProductGram.min_price).where(ProductGram.product_id == product_id)
    ).all()
    assert len(prices) == len(title_grams("融水香糯米")) and set(prices) == {2500}


def test_0010_gives_every_existing_employee_and_admin_a_token_key_of_its_own(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    db.session.remove()
    downgrade(revision="0006")
    with db.engine.begin() as connection:
        for openid in ("openid-a", "openid-b"):
            connection.execute(
                text(
                    "INSERT INTO employees (openid, created_at, last_login_at) "
                    "VALUES (:openid, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                ),
                {"openid": openid},
            )
        connection.execute(
            text(
                "INSERT INTO admins (username, password_hash, role, active, token_version, "
                "created_at) VALUES ('root', 'x', 'platform_admin', TRUE, 0, CURRENT_TIMESTAMP)"
            )
        )
    upgrade()

    with db.engine.connect() as connection:
        keys = (
            connection.execute(
                text("SELECT token_key FROM employees UNION ALL SELECT token_key FROM admins")
            )
            .scalars()
            .all()
        )
    assert len(keys) == 3 and len(set(keys)) == 3
    assert all(key and len(key) == 32 for key in keys)


def test_0012_copies_each_products_creation_time_onto_its_search_postings(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from miniapp_api.services.catalog_search import title_grams
    from models.catalog import Product, ProductGram
    from tests.factories import make_product

    product_id = make_product("融水香糯米").id
    created_at = db.session.get(Product, product_id).created_at
    db.session.remove()
    downgrade(revision="0011")  # the postings as they were stored before 0012
    upgrade()

    moments = db.session.scalars(
        select(ProductGram.created_at).where(ProductGram.product_id == product_id)
    ).all()
    assert len(moments) == len(title_grams("融水香糯米")) and set(moments) == {created_at}


def test_0014_gives_existing_products_trigram_postings_and_counts(app):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from miniapp_api.services.catalog import list_products
    from models.catalog import GramCount, Product, ProductGram
    from tests.factories import make_product

    made = [
        make_product("融水香糯米", prices=(3000, 2500), sales=4, selected=True),
        make_product("融水紫黑香糯米", sales=2),
        make_product("哈哈哈哈"),
    ]
    keys = {
        p.id: (p.selected, p.sales, p.min_price, p.created_at)
        for p in (db.session.get(Product, m.id) for m in made)
    }
    db.session.remove()
    downgrade(revision="0013")  # the postings as they were stored before 0014
    assert not db.session.scalars(
        select(ProductGram.gram).where(db.func.length(ProductGram.gram) == 3)
    ).all()
    db.session.remove()
    upgrade()

    postings = db.session.execute(
        select(ProductGram).where(db.func.length(ProductGram.gram) == 3)
    ).scalars()
    got = {
        (p.gram, p.product_id): (p.selected, p.sales, p.min_price, p.created_at) for p in postings
    }
    assert got == {
        ("融水香", made[0].id): keys[made[0].id],
        ("水香糯", made[0].id): keys[made[0].id],
        ("香糯米", made[0].id): keys[made[0].id],
        ("融水紫", made[1].id): keys[made[1].id],
        ("水紫黑", made[1].id): keys[made[1].id],
        ("紫黑香", made[1].id): keys[made[1].id],
        ("黑香糯", made[1].id): keys[made[1].id],
        ("香糯米", made[1].id): keys[made[1].id],
        ("哈哈哈", made[2].id): keys[made[2].id],
    }
    counts = dict(db.session.execute(select(GramCount.gram, GramCount.products)).all())
    assert counts["香糯米"] == 2 and counts["哈哈哈"] == 1 and counts["融水"] == 2
    assert [row.id for row in list_products(db.session, q="香糯米")[0]] == [made[0].id, made[1].id]
