"""`make bench`: every mode once at concurrency 32, short runs, both servers side by side."""

from bench.cli import Defaults, main

QUICK = Defaults(
    name="quick",
    title="tessera vs node-oidc-provider: quick benchmark",
    concurrency=(32,),
    reps=2,
    warmup_s=1.0,
    duration_s=3.0,
)

if __name__ == "__main__":
    main(QUICK)
