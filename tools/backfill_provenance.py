"""Give the LLM records of a prediction store that lack a `provenance` (made before `experiment.unit_provenance` existed) the
provenance of the machine that made them, told by when each record entered the store.

A store keeps each record's `created` time; records imported from an export get the import's time, records computed
later their own. So `--period UNTIL JSON` (repeatable, in time order) gives every record lacking provenance whose
`created` time is before UTC time UNTIL, and after the previous period's, the provenance JSON plus `"inferred": true`.
Records after the last period are left alone. Run it on the store the records were computed in, before exporting it.

The study's migration (2026-12-07), on the store of the sitting that began by importing the AVX2-era export at 00:27:
`python tools/backfill_provenance.py runs/study/smollm2-helpsteer2-greedy/store.sqlite
  --period 2026-12-07T00:28 '{"engine": "llama-cpp-python 0.3.36", "cpu": "x86_64 avx2"}'
  --period 2026-12-08T00:00 '{"engine": "llama-cpp-python 0.3.36", "build": "avx512", "cpu": "x86_64 avx512", "date": "2026-12-07"}'`
"""
import argparse, json, sqlite3
from collections import Counter
from datetime import datetime, timezone


def backfill(path: str, periods: list[tuple[str, dict]]) -> Counter:
    "Set the provenance of `path`'s records lacking one by `periods` ((until, provenance), in time order); counts per period."
    bounds = [(datetime.fromisoformat(u).replace(tzinfo=timezone.utc).timestamp(), p) for u, p in periods]
    if [b for b, _ in bounds] != sorted(b for b, _ in bounds): raise SystemExit("--period: give the periods in time order")
    con, done = sqlite3.connect(path), Counter()
    with con:
        llm = {k for k, m in con.execute("SELECT method_key, meta FROM meta") if 'backend' in json.loads(m).get('config', {})}
        rows = con.execute("SELECT method_key, scenario_id, unit, record, created FROM records").fetchall()
        for key, sid, unit, text, created in rows:
            rec = json.loads(text)
            if key not in llm or 'provenance' in rec: continue            # oracle, random, regressors: no engine
            i = next((i for i, (until, _) in enumerate(bounds) if created < until), None)
            if i is None: continue
            rec['provenance'] = {**bounds[i][1], 'inferred': True}
            con.execute("UPDATE records SET record = ? WHERE method_key = ? AND scenario_id = ? AND unit = ?",
                        (json.dumps(rec, ensure_ascii=False), key, sid, unit))
            done[periods[i][0]] += 1
    con.close()
    return done


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('store')
    ap.add_argument('--period', nargs=2, action='append', metavar=('UNTIL', 'JSON'), required=True)
    a = ap.parse_args()
    print(dict(backfill(a.store, [(u, json.loads(p)) for u, p in a.period])))
