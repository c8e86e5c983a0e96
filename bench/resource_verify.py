"""Verified access tokens per second per core: tessera.resource against raw `cryptography`
and joserfc, for RS256, ES256 and EdDSA.

Cases, each over the same 256 distinct tokens as tessera's token endpoint shapes them
(RFC 9068 claims, ~330-byte payload):

- signature: `cryptography` verify alone, input decoded beforehand (the floor);
- raw JWT: the least any verifier does with `cryptography` (split, base64url, verify,
  JSON, exp/iss/aud), as measured-costs.md's "raw" column counts it;
- joserfc: `jwt.decode` then `JWTClaimsRegistry.validate` (iss, aud, exp);
- tessera.resource: `await BearerTokenValidator.verify(token)`, keys cached, every check.

Cases run interleaved in shuffled order, ROUNDS times each, pinned to core 0 (what
`taskset -c 0` does) when the OS allows; CPU time (`time.process_time`) per operation is
the number to read on a shared machine, wall rates are shown too. Prints a Markdown table
and writes JSON under bench/results/.

    .venv/bin/python -m bench.resource_verify [--rounds 7] [--seconds 0.15]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cryptography
import httpx
import joserfc
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jwt
from joserfc.jwk import KeySet

from tessera.crypto.jwt import sign_jwt
from tessera.crypto.keys import Algorithm, SigningKey, build_signing_key, generate_private_key
from tessera.resource import BearerTokenValidator

ISSUER = "https://auth.example.com"
AUDIENCE = "https://api.example.com"
TOKENS = 256
RESULTS = Path(__file__).parent / "results"


def _claims(n: int, now: int) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "sub": f"user-{n:06d}-Y2Hq8Jm3",
        "aud": [AUDIENCE, f"{ISSUER}/userinfo"],
        "client_id": "Zk3JqvX0yR9sT2mW8pQ4bA",
        "scope": "openid profile email offline_access read:messages write:messages",
        "iat": now,
        "exp": now + 86400,
        "jti": f"mT7kqP2sV9xL4wN8rB1cY{n:06d}",
        "auth_time": now - 30,
    }


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _check_signature(key: SigningKey) -> Callable[[bytes, bytes], None]:
    public = key.private_key.public_key()
    if key.alg is Algorithm.RS256:
        return lambda sig, data: public.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    if key.alg is Algorithm.ES256:
        return lambda sig, data: public.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    return lambda sig, data: public.verify(sig, data)


def _der(alg: Algorithm, signature: bytes) -> bytes:
    if alg is not Algorithm.ES256:
        return signature
    return encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )


def signature_case(key: SigningKey, tokens: list[str]) -> Callable[[], int]:
    check = _check_signature(key)
    inputs = []
    for token in tokens:
        signing_input, _, signature = token.rpartition(".")
        inputs.append((_der(key.alg, _b64decode(signature)), signing_input.encode()))

    def run() -> int:
        for signature, data in inputs:
            check(signature, data)
        return len(inputs)

    return run


def raw_jwt_case(key: SigningKey, tokens: list[str]) -> Callable[[], int]:
    check = _check_signature(key)
    alg = key.alg

    def run() -> int:
        now = time.time()
        for token in tokens:
            signing_input, _, signature = token.rpartition(".")
            check(_der(alg, _b64decode(signature)), signing_input.encode())
            claims = json.loads(_b64decode(signing_input.partition(".")[2]))
            if claims["iss"] != ISSUER or AUDIENCE not in claims["aud"] or claims["exp"] <= now:
                raise AssertionError("claims")
        return len(tokens)

    return run


def joserfc_case(key: SigningKey, tokens: list[str]) -> Callable[[], int]:
    key_set = KeySet.import_key_set({"keys": [dict(key.public_jwk)]})
    registry = jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": ISSUER}, aud={"essential": True, "value": AUDIENCE}
    )
    algorithms = [key.alg.value]

    def run() -> int:
        for token in tokens:
            registry.validate(jwt.decode(token, key_set, algorithms=algorithms).claims)
        return len(tokens)

    return run


def tessera_case(
    key: SigningKey, tokens: list[str], loop: asyncio.AbstractEventLoop
) -> Callable[[], int]:
    jwks = json.dumps({"keys": [key.public_jwk]})

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/openid-configuration"):
            return httpx.Response(200, json={"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks"})
        return httpx.Response(200, text=jwks)

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    validator = BearerTokenValidator(ISSUER, AUDIENCE, http_client=http)
    loop.run_until_complete(validator.verify(tokens[0]))  # Fetch the keys once.

    async def verify_all() -> int:
        for token in tokens:
            await validator.verify(token)
        return len(tokens)

    return lambda: loop.run_until_complete(verify_all())


@dataclass
class Samples:
    cpu_us: list[float] = field(default_factory=list)
    wall_rate: list[float] = field(default_factory=list)


def measure(run: Callable[[], int], seconds: float, samples: Samples) -> None:
    ops, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
    while time.perf_counter() - wall0 < seconds:
        ops += run()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    samples.cpu_us.append(cpu / ops * 1e6)
    samples.wall_rate.append(ops / wall)


CASES = ["signature", "raw JWT", "joserfc", "tessera.resource"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.15, help="per case per round")
    args = parser.parse_args()
    pinned = hasattr(os, "sched_setaffinity")
    if pinned:
        os.sched_setaffinity(0, {0})
    loop = asyncio.new_event_loop()
    now = int(time.time())
    runs: dict[tuple[str, str], Callable[[], int]] = {}
    for alg in Algorithm:
        key = build_signing_key(generate_private_key(alg), alg)
        tokens = [sign_jwt(_claims(n, now), key, typ="at+jwt") for n in range(TOKENS)]
        runs[alg.value, "signature"] = signature_case(key, tokens)
        runs[alg.value, "raw JWT"] = raw_jwt_case(key, tokens)
        runs[alg.value, "joserfc"] = joserfc_case(key, tokens)
        runs[alg.value, "tessera.resource"] = tessera_case(key, tokens, loop)
    samples = {name: Samples() for name in runs}
    order = list(runs)
    for _ in range(args.rounds):
        random.shuffle(order)
        for name in order:
            measure(runs[name], args.seconds, samples[name])
    report(samples, args, pinned, payload_bytes=len(json.dumps(_claims(0, now))))


def report(
    samples: dict[tuple[str, str], Samples],
    args: argparse.Namespace,
    pinned: bool,
    payload_bytes: int,
) -> None:
    rows: list[dict[str, Any]] = []
    for (alg, case), sample in samples.items():
        cpu = statistics.median(sample.cpu_us)
        rows.append(
            {
                "alg": alg,
                "case": case,
                "cpu_us_per_op": round(cpu, 2),
                "ops_per_s_per_core": round(1e6 / cpu),
                "wall_ops_per_s_median": round(statistics.median(sample.wall_rate)),
                "wall_ops_per_s_min": round(min(sample.wall_rate)),
                "wall_ops_per_s_max": round(max(sample.wall_rate)),
            }
        )
    by = {(row["alg"], row["case"]): row for row in rows}
    print(
        f"\n{args.rounds} interleaved rounds x {args.seconds}s per case; pinned to core 0: {pinned}"
    )
    print(
        "\n| alg | case | CPU µs/op | verified/s per core | wall/s median [min-max]"
        " | vs raw JWT | vs signature |\n|---|---|---|---|---|---|---|"
    )
    for alg in (a.value for a in Algorithm):
        for case in CASES:
            row = by[alg, case]
            raw = by[alg, "raw JWT"]["cpu_us_per_op"]
            floor = by[alg, "signature"]["cpu_us_per_op"]
            row["vs_raw_jwt"] = round(raw / row["cpu_us_per_op"], 3)
            row["vs_signature"] = round(floor / row["cpu_us_per_op"], 3)
            wall = (
                f"{row['wall_ops_per_s_median']:,} "
                f"[{row['wall_ops_per_s_min']:,}-{row['wall_ops_per_s_max']:,}]"
            )
            print(
                f"| {alg} | {case} | {row['cpu_us_per_op']:.1f} | {row['ops_per_s_per_core']:,} "
                f"| {wall} | {row['vs_raw_jwt']:.0%} | {row['vs_signature']:.0%} |"
            )
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "benchmark": "resource_verify",
        "date": stamp,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "versions": {"cryptography": cryptography.__version__, "joserfc": joserfc.__version__},
        "rounds": args.rounds,
        "seconds_per_case_per_round": args.seconds,
        "pinned_to_core_0": pinned,
        "tokens": TOKENS,
        "payload_bytes": payload_bytes,
        "rows": rows,
    }
    path = RESULTS / f"resource_verify-{stamp}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
