"""A FastAPI application that sends a sign-up code through smscli (docs/LIBRARY.md).

Run it with ``SMSCLI_PROFILE=prod uvicorn fastapi_app:app``; tests/test_examples.py runs
it against the Bizppurio simulator.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException

import smscli


@asynccontextmanager
async def lifespan(app: FastAPI):
    # One client for the whole application: its profile is read once, its journal
    # opened once; requests share it (it is safe across tasks and threads).
    async with smscli.AsyncClient() as sms:
        app.state.sms = sms
        yield


app = FastAPI(lifespan=lifespan)


@app.post("/signup/{number}")
async def signup(number: str) -> dict[str, str]:
    try:
        result = await app.state.sms.send(number, "인증번호는 123456 입니다", id=f"signup-{number}")
    except smscli.SmscliError as exc:  # the vendor unreachable, a bad profile...
        raise HTTPException(503 if exc.retryable else 500, str(exc)) from None
    if result.status not in ("accepted", "duplicate"):
        raise HTTPException(422, f"{result.status}: {result.detail}")
    return {"message_id": result.message_id, "status": result.status}


@app.get("/messages/{message_id}")
async def message(message_id: str) -> dict[str, str]:
    record = await app.state.sms.result(message_id)
    if record is None:
        raise HTTPException(404, "no such message")
    return record.to_json()
