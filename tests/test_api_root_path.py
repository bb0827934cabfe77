"""Served under a prefix (uvicorn --root-path, or a proxy's path), the API hands out links
under it: `Location` and `links` had pointed at /v1/digests/..., which behind the proxy
is another app's path or a 404."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from service.api import create_app
from tests.test_api_digests import poll, settings_for
from tests.test_api_fakes import fake_pipeline, story_articles


def test_location_and_links_carry_the_prefix_the_app_is_served_under(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
    with TestClient(app, root_path="/digest") as client:
        posted = client.post("/v1/digests", json={"articles": story_articles(1)})
        assert posted.status_code == 202, posted.json()
        job_id = posted.json()["id"]
        job_url = f"/digest/v1/digests/{job_id}"
        assert posted.headers["location"] == job_url
        assert posted.json()["links"] == {"self": job_url, "events": f"{job_url}/events"}
        done = poll(client, posted.headers["location"].removeprefix("/digest"))
        assert done["status"] == "done" and done["links"]["self"] == job_url
        with client.stream("GET", f"/v1/digests/{job_id}/events") as events:
            body = "".join(events.iter_text())
        assert f'"self": "{job_url}"' in body  # the last event is the job, with its links


def test_without_a_prefix_the_links_are_the_paths_themselves(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, pipeline=fake_pipeline(settings), warm_up=lambda: None)
    with TestClient(app) as client:
        posted = client.post("/v1/digests", json={"articles": story_articles(1)})
        assert posted.headers["location"] == f"/v1/digests/{posted.json()['id']}"
