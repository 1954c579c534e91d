"""The fault run's SQL store: a PostgreSQL database of its own, 301 rows per person.

Erasure deletes every row of the person. A trigger logs each deleted person inside the
erasing transaction, so a log row exists only once that transaction committed, and its
NOTIFY arrives the moment it does (the fault run kills the erasing worker then).
"""

from soak import common
from soak.chaos import Run

ROWS_PER_PERSON = 301  # 1 person, 200 orders, 100 order lines
LINES_PER_PERSON = 100
STORE_SCHEMA = """
CREATE TABLE people (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE TABLE orders (id serial PRIMARY KEY,
                     person_id integer NOT NULL REFERENCES people(id),
                     address text, total numeric);
CREATE TABLE order_lines (id serial PRIMARY KEY,
                          order_id integer NOT NULL REFERENCES orders(id), item text);
CREATE INDEX ON people (lower(email));
CREATE INDEX ON orders (person_id);
CREATE INDEX ON order_lines (order_id);
-- Who erased whom, written by the erasing transaction itself: a row exists only once it
-- committed, and the NOTIFY arrives the moment it does.
CREATE TABLE erase_log (email text NOT NULL,
                        at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION log_erasure() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO erase_log (email) VALUES (OLD.email);
  PERFORM pg_notify('soak_erased', OLD.email);
  RETURN OLD;
END $$;
CREATE TRIGGER people_erased AFTER DELETE ON people
  FOR EACH ROW EXECUTE FUNCTION log_erasure();
"""
STORE_SEED = """
INSERT INTO people SELECT g, 'soak.person' || g || '@example.com', 'Soak Person ' || g
  FROM generate_series(1, $1::int) g;
INSERT INTO orders (person_id, address, total)
  SELECT p, g || ' Harbour Road', 9.5 FROM generate_series(1, $1::int) p,
  generate_series(1, 200) g;
INSERT INTO order_lines (order_id, item) SELECT id, 'item' FROM orders WHERE id % 2 = 0;
"""
DATASET = """\
tables:
  people: {identity: {email: email}, primary_key: id, erase: delete}
  orders: {primary_key: id, references: {person_id: people.id}, erase: delete}
  order_lines: {primary_key: id, references: {order_id: orders.id}, erase: delete}
"""


async def seed_store(server: str, name: str, people: int) -> None:
    """The store's tables, its erasure log and `people` people of 301 rows each."""
    store = await common.connect(server, name)
    try:
        await store.execute(STORE_SCHEMA)
        for statement in STORE_SEED.strip().split(";\n"):
            if "$1" in statement:
                await store.execute(statement, people)
            else:
                await store.execute(statement)
    finally:
        await store.close()


async def check_store(server: str, store_name: str, run: Run) -> None:
    """Every subject's rows gone by one committed erasure; everyone else's intact."""
    store = await common.connect(server, store_name)
    try:
        subjects = run.options.tickets
        left = await store.fetchval(
            "SELECT count(*) FROM people WHERE id <= $1", subjects
        )
        orders = await store.fetchval(
            "SELECT count(*) FROM orders WHERE person_id <= $1", subjects
        )
        others = await store.fetchval(
            "SELECT count(*) FROM people WHERE id > $1", subjects
        )
        lines = await store.fetchval("SELECT count(*) FROM order_lines")
        erasures = await store.fetch(
            "SELECT email, count(*) AS n FROM erase_log GROUP BY email"
        )
    finally:
        await store.close()
    run.check(left == 0 and orders == 0, f"store: {left} people, {orders} orders left")
    run.check(others == run.options.others, f"store: {others} other people left")
    run.check(
        lines == run.options.others * LINES_PER_PERSON,
        f"store: {lines} order lines left",
    )
    counts = {row["email"]: row["n"] for row in erasures}
    run.check(len(counts) == subjects, f"store: {len(counts)} people erased")
    twice = [email for email, n in counts.items() if n != 1]
    run.check(not twice, f"store: {len(twice)} people erased more than once")
