"""Eight CLI processes at once against a database a running serve also writes: each submits and
cancels in a loop, half the time straight on the database (--local, so SQLite's single-writer
lock is contended between processes), half through the serve. Nothing a user sees may say
the database was busy or locked: every submit succeeds, and a cancel either succeeds or is a
conflict (exit 4: the job had already finished)."""
import random
import threading

BUSY_WORDS = ("database is locked", "sqlite_busy", "database is busy", "busy")


def cli_storm(h, ledger, seed, processes=8, rounds=12):
    lock = threading.Lock()
    counts = {"submits": 0, "cancels": 0, "conflicts": 0, "failures": 0}

    def worker(n):
        rng = random.Random(seed * 1000 + n)
        mine = []
        for _ in range(rounds):
            local = ("--local",) if rng.random() < 0.5 else ()
            if mine and rng.random() < 0.4:
                job = rng.choice(mine)
                ledger.cancel_requested.add(job)
                r = h.run(*local, "cancel", "--id", job)
                kind = "cancels" if r.returncode == 0 else (
                    "conflicts" if r.returncode == 4 else "failures")
            else:
                args = ("--type", "noop") if rng.random() < 0.5 else (
                    "--type", "exec", "--", "sleep", "0.2")
                r = h.run(*local, "submit", *args)
                kind = "submits" if r.returncode == 0 else "failures"
                if r.returncode == 0:
                    job = r.stdout.strip()
                    mine.append(job)
                    ledger.accept(job)
            ledger.cli_result(" ".join((*local, "storm")), r)
            with lock:
                counts[kind] += 1
            if kind == "failures":
                ledger.violation(f"CLI storm: {r.args[4:]} exited {r.returncode}: {r.stderr.strip()}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(processes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts
