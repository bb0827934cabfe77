"""FastAPI dependencies as `Annotated` aliases: handlers name what they need by type."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.api.middleware import is_json_media_type
from service.api.problems import UnsupportedMediaTypeError
from service.api.security import identify
from service.api.state import Services
from service.config import Settings
from service.jobs import JobStore

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a Bearer token.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings_dep(services: ServicesDep) -> Settings:
    return services.settings


def get_store(services: ServicesDep) -> JobStore:
    return services.store


def get_client(
    services: ServicesDep,
    api_key: Annotated[str | None, Security(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> str:
    """The caller's client id; raises 401 unless the key is valid (or access is open)."""
    return identify(services.settings, api_key, bearer.credentials if bearer else None)


def get_root_path(request: Request) -> str:
    """The prefix the app is served under (uvicorn's `--root-path`, a proxy's path): the
    links the API hands out must carry it, or a client behind the proxy follows them to 404."""
    return str(request.scope.get("root_path", "")).rstrip("/")


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
RootPathDep = Annotated[str, Depends(get_root_path)]
StoreDep = Annotated[JobStore, Depends(get_store)]
ClientDep = Annotated[str, Depends(get_client)]


def require_json_body(request: Request, _client: ClientDep) -> None:
    """415 for a form, plain text or no Content-Type, which FastAPI would answer with a
    puzzling 422 ("body: Input should be a valid dictionary"); runs before the body is read
    as the model, and after the key is checked (`_client`): a caller without a valid key
    gets 401 whatever it sends."""
    content_type = request.headers.get("content-type")
    if not is_json_media_type(content_type):
        sent = f"as {content_type.split(';')[0].strip()!r}" if content_type else "without a type"
        raise UnsupportedMediaTypeError(
            f"the request body is sent {sent}, not as JSON",
            hint="send the JSON body with 'Content-Type: application/json'",
        )
