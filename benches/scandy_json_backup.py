#!/usr/bin/env python3
"""Baseline for `cargo bench --bench backup`: a database backup the way Scandy's own
backup does it, with pymongo and the json module.

Export: `find()` over every collection, `json.dump` of {collection: [documents]} with a
`default=` hook that wraps datetimes as {"__type__": "datetime", "value": iso} and writes
ObjectIds (and other BSON-only values) as strings.

Import: `json.load` of that file (datetimes and `_id` strings converted back), then per
collection `delete_many({})` + `insert_many(documents)` into the target database.

With --indexes-from DB, afterwards creates the secondary indexes DB has (create_index
per index, as Scandy's start-up does) in TARGET and reports that time as index_s, so the
end state matches a restore that rebuilds indexes; import_s does not include it.

Prints one JSON object on stdout: export_s, import_s (load + delete + insert) and the
parts of the import, index_s, documents, json_bytes.

Usage: scandy_json_backup.py --uri URI --db SOURCE --out FILE --import-db TARGET [--indexes-from DB]
"""

import argparse
import base64
import datetime
import json
import os
import sys
import time

from bson import Decimal128, ObjectId
from pymongo import MongoClient


def encode(value):
    """json.dump `default=` hook for the values json cannot write itself."""
    if isinstance(value, datetime.datetime):
        return {"__type__": "datetime", "value": value.isoformat()}
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, Decimal128):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def decode(obj):
    """json.load `object_hook`: datetimes back to datetime, `_id` strings back to ObjectId."""
    if obj.get("__type__") == "datetime" and "value" in obj:
        return datetime.datetime.fromisoformat(obj["value"])
    oid = obj.get("_id")
    if isinstance(oid, str) and len(oid) == 24 and ObjectId.is_valid(oid):
        obj["_id"] = ObjectId(oid)
    return obj


def collection_names(db):
    return sorted(n for n in db.list_collection_names() if not n.startswith("system."))


def export(db, path):
    documents = 0
    data = {}
    for name in collection_names(db):
        docs = list(db[name].find())
        documents += len(docs)
        data[name] = docs
    with open(path, "w", encoding="utf-8") as out:
        json.dump(data, out, default=encode, ensure_ascii=False)
    return documents


def import_(db, path):
    started = time.perf_counter()
    with open(path, encoding="utf-8") as src:
        data = json.load(src, object_hook=decode)
    loaded = time.perf_counter()
    delete_s = 0.0
    insert_s = 0.0
    documents = 0
    for name, docs in data.items():
        t0 = time.perf_counter()
        db[name].delete_many({})
        t1 = time.perf_counter()
        if docs:
            db[name].insert_many(docs)
            documents += len(docs)
        t2 = time.perf_counter()
        delete_s += t1 - t0
        insert_s += t2 - t1
    return documents, loaded - started, delete_s, insert_s


def build_indexes(source, target):
    """Creates in `target` every index (but `_id_`) that `source` has; returns how many."""
    created = 0
    for name in collection_names(source):
        for index in source[name].list_indexes():
            if index["name"] == "_id_":
                continue
            options = {k: v for k, v in index.items() if k not in ("v", "key", "ns")}
            target[name].create_index(list(index["key"].items()), **options)
            created += 1
    return created


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--import-db", required=True)
    parser.add_argument("--indexes-from")
    args = parser.parse_args()

    # SecantusDB answers nothing else while it builds an index or a large batch; with the
    # default 20 s connect timeout the monitor's heartbeat gives up and pymongo cancels the
    # running operation ("operation cancelled"). Wait as long as the work takes.
    client = MongoClient(args.uri, connectTimeoutMS=900_000, serverSelectionTimeoutMS=900_000)
    t0 = time.perf_counter()
    exported = export(client[args.db], args.out)
    export_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    imported, load_s, delete_s, insert_s = import_(client[args.import_db], args.out)
    import_s = time.perf_counter() - t1

    index_s = 0.0
    indexes = 0
    if args.indexes_from:
        t2 = time.perf_counter()
        indexes = build_indexes(client[args.indexes_from], client[args.import_db])
        index_s = time.perf_counter() - t2

    json.dump(
        {
            "export_s": export_s,
            "import_s": import_s,
            "import_load_s": load_s,
            "import_delete_s": delete_s,
            "import_insert_s": insert_s,
            "index_s": index_s,
            "indexes": indexes,
            "documents_exported": exported,
            "documents_imported": imported,
            "json_bytes": os.path.getsize(args.out),
        },
        sys.stdout,
    )
    print()


if __name__ == "__main__":
    main()
