"""Who is calling: a bearer API key resolved through the districts directory as it is now, and
held to its rate limit. Shared by the intake and notifier APIs (see crosslink.guards).

The dependencies are `async def` although none awaits: FastAPI runs a plain `def` dependency
in a worker thread, and those hand-offs were a fifth of intake's CPU per request
(docs/bench/tuning.md). Each asks caller_of() itself rather than depending on get_caller:
FastAPI's cost is per dependency solved, not per line of the function.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crosslink.directory import Caller, District, DistrictsDirectory
from crosslink.i18n import N_
from crosslink.problems import ProblemError

_bearer = HTTPBearer(auto_error=False)


class Unauthenticated(ProblemError):
    status, slug, title = 401, "unauthenticated", N_("Missing or unknown API key")
    default_headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class NotPermitted(ProblemError):
    status, slug, title = 403, "not-permitted", N_("This key may not do that")


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def caller_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """Who the API key of this request belongs to, once it is within its rate limit."""
    directory: DistrictsDirectory = request.app.state.directory.current()
    caller = directory.caller_for_api_key(credentials.credentials) if credentials else None
    if caller is None:
        raise Unauthenticated("send 'Authorization: Bearer <api key>' with a key crosslink knows")
    request.app.state.rate_limiter.take(caller.name)
    return caller


async def get_caller(request: Request, credentials: BearerDep) -> Caller:
    return caller_of(request, credentials)


async def get_district(request: Request, credentials: BearerDep) -> District:
    """The district of an integrator key; no other key acts for a district."""
    caller = caller_of(request, credentials)
    if caller.district is None:
        raise NotPermitted("only a district's integrator key may do this")
    return caller.district


async def get_registry_admin(request: Request, credentials: BearerDep) -> Caller:
    caller = caller_of(request, credentials)
    if not caller.registry_admin:
        raise NotPermitted("only a registry administrator's key may add registry entries")
    return caller


async def get_operator(request: Request, credentials: BearerDep) -> Caller:
    caller = caller_of(request, credentials)
    if not caller.operator:
        raise NotPermitted("only an operator's key may read operations data")
    return caller


async def get_lookup_relay(request: Request, credentials: BearerDep) -> Caller:
    caller = caller_of(request, credentials)
    if not caller.lookup_relay:
        raise NotPermitted("only the notifier's look-up relay key may ask intake to look up")
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]
DistrictDep = Annotated[District, Depends(get_district)]
RegistryAdminDep = Annotated[Caller, Depends(get_registry_admin)]
OperatorDep = Annotated[Caller, Depends(get_operator)]
LookupRelayDep = Annotated[Caller, Depends(get_lookup_relay)]
