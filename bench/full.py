"""The README's numbers: concurrency sweep 1, 8, 32, 64, longer runs, three repetitions."""

from bench.cli import Defaults, main

FULL = Defaults(
    name="full",
    title="tessera vs node-oidc-provider: full benchmark",
    concurrency=(1, 8, 32, 64),
    reps=3,
    warmup_s=2.0,
    duration_s=10.0,
)

if __name__ == "__main__":
    main(FULL)
