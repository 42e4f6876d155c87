"""FakeSlack over real HTTP, driven by slack_sdk's WebClient as the bridge drives it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import pytest
from bridge_standins.server import wait_for
from bridge_standins.slack import DEFAULT_SCOPES, FakeSlack, MethodRefused
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

TOKEN = "xoxb-test-token"
NEWS, OUTSIDE, SECRET = "C0NEWS001", "C0OUTSIDE", "G0SECRET1"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_channel(NEWS, "news")
        fake.add_channel(OUTSIDE, "outside", is_member=False)
        fake.add_channel(SECRET, "secret", is_private=True)
        fake.add_user("U0ALICE01", "Alice", real_name="Alice Martin")
        fake.add_usergroup("S0DEVS", "devs", "Developers")
        yield fake
        assert fake.errors == []


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.url + "/api/")


def error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


def thread(slack: FakeSlack) -> tuple[str, list[str], str]:
    """A parent with two replies and a later standalone message; returns their ts."""
    parent = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "parent"})["ts"]
    replies = [
        slack.add_message(NEWS, {"user": "U0ALICE01", "text": f"r{i}", "thread_ts": parent})["ts"]
        for i in range(2)
    ]
    alone = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "alone"})["ts"]
    return parent, replies, alone


def test_auth_test_and_scopes_header(slack: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["url"] == "https://fakeworkspace.slack.com/"
    assert (answer["team_id"], answer["user_id"], answer["bot_id"]) == (
        "T0FAKE",
        "UBRIDGEBOT",
        "BBRIDGE",
    )
    assert answer["user"] == "bridge"
    assert answer.headers["x-oauth-scopes"].split(",") == list(DEFAULT_SCOPES)
    slack.scopes = ["chat:write"]
    assert client.auth_test().headers["x-oauth-scopes"] == "chat:write"


@pytest.mark.parametrize("token", ["xoxb-wrong", None])
def test_wrong_or_missing_token_is_invalid_auth(slack: FakeSlack, token: str | None) -> None:
    other = WebClient(token=token, base_url=slack.url + "/api/")
    error = error_of(other.auth_test)
    assert error.response.status_code == 200
    assert error.response["error"] == "invalid_auth"


def test_token_may_come_as_a_param(slack: FakeSlack) -> None:
    response = httpx.post(slack.url + "/api/auth.test", data={"token": TOKEN})
    assert response.json()["ok"] is True


def test_unknown_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("files.nothing")).response["error"] == "unknown_method"


def test_params_arrive_as_json_form_or_query(slack: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=NEWS, text="json")
    client.users_info(user="U0ALICE01")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.get(slack.url + "/api/users.info?user=U0ALICE01", headers=auth).json()
    assert answer["user"]["id"] == "U0ALICE01"
    json_call, form_call, get_call = slack.calls[0], slack.calls[1], slack.calls[2]
    assert json_call.headers["content-type"].startswith("application/json")
    assert json_call.params == {"channel": NEWS, "text": "json"}
    assert form_call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form_call.params == {"user": "U0ALICE01"}
    assert get_call.params == {"user": "U0ALICE01"}
    assert [call.method for call in slack.calls_to("users.info")] == ["users.info"] * 2


def test_history_is_top_level_newest_first(slack: FakeSlack, client: WebClient) -> None:
    parent, replies, alone = thread(slack)
    answer = client.conversations_history(channel=NEWS)
    assert [m["ts"] for m in answer["messages"]] == [alone, parent]
    assert answer["has_more"] is False
    top = answer["messages"][1]
    assert top["thread_ts"] == parent and top["reply_count"] == 2
    assert top["latest_reply"] == replies[-1] and top["reply_users"] == ["U0ALICE01"]
    assert all(m["type"] == "message" for m in answer["messages"])


def test_history_bounds_follow_inclusive(slack: FakeSlack, client: WebClient) -> None:
    ts = [slack.add_message(NEWS, {"text": str(i)})["ts"] for i in range(3)]

    def history(**kwargs: Any) -> list[str]:
        return [m["ts"] for m in client.conversations_history(channel=NEWS, **kwargs)["messages"]]

    assert history(latest=ts[1], inclusive=True, limit=1) == [ts[1]]
    assert history(latest=ts[1], limit=1) == [ts[0]]
    assert history(oldest=ts[0]) == [ts[2], ts[1]]
    assert history(oldest=ts[0], inclusive=True) == [ts[2], ts[1], ts[0]]
    assert history(oldest=ts[0], latest=ts[2]) == [ts[1]]
    # Decimal comparison: "1700000000.1" equals "1700000000.100000"
    slack.add_message(NEWS, {"text": "exact", "ts": "1700000000.100000"})
    assert history(latest="1700000000.1", inclusive=True) == ["1700000000.100000"]


def test_history_pages_with_has_more_and_cursor(slack: FakeSlack, client: WebClient) -> None:
    ts = [slack.add_message(NEWS, {"text": str(i)})["ts"] for i in range(5)]
    first = client.conversations_history(channel=NEWS, limit=2)
    assert first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_history(channel=NEWS, limit=10, cursor=cursor)
    assert [m["ts"] for m in first["messages"] + rest["messages"]] == ts[::-1]
    assert rest["has_more"] is False


def test_history_shows_thread_broadcasts(slack: FakeSlack, client: WebClient) -> None:
    parent = slack.add_message(NEWS, {"text": "p"})["ts"]
    also = {"text": "b", "thread_ts": parent, "subtype": "thread_broadcast"}
    broadcast = slack.add_message(NEWS, also)["ts"]
    messages = client.conversations_history(channel=NEWS)["messages"]
    assert [m["ts"] for m in messages] == [broadcast, parent]


def test_history_channel_errors(client: WebClient) -> None:
    assert (
        error_of(lambda: client.conversations_history(channel="C0NOPE")).response["error"]
        == "channel_not_found"
    )
    assert (
        error_of(lambda: client.conversations_history(channel=OUTSIDE)).response["error"]
        == "not_in_channel"
    )


def test_replies_parent_first_then_replies(slack: FakeSlack, client: WebClient) -> None:
    parent, replies, alone = thread(slack)
    for ts in (parent, replies[1]):
        answer = client.conversations_replies(channel=NEWS, ts=ts)
        assert [m["ts"] for m in answer["messages"]] == [parent, *replies]
    bounded = client.conversations_replies(channel=NEWS, ts=parent, oldest=replies[0])
    assert [m["ts"] for m in bounded["messages"]] == [parent, replies[1]]
    inclusive = client.conversations_replies(
        channel=NEWS, ts=parent, latest=replies[0], inclusive=True
    )
    assert [m["ts"] for m in inclusive["messages"]] == [parent, replies[0]]
    single = client.conversations_replies(channel=NEWS, ts=alone)
    assert [m["ts"] for m in single["messages"]] == [alone]
    missing = error_of(lambda: client.conversations_replies(channel=NEWS, ts="1.000001"))
    assert missing.response["error"] == "thread_not_found"


def test_conversations_info(client: WebClient) -> None:
    channel = client.conversations_info(channel=OUTSIDE)["channel"]
    assert channel["id"] == OUTSIDE and channel["name"] == "outside"
    assert (channel["is_private"], channel["is_member"]) == (False, False)
    assert client.conversations_info(channel=SECRET)["channel"]["is_private"] is True
    error = error_of(lambda: client.conversations_info(channel="C0NOPE"))
    assert error.response["error"] == "channel_not_found"


def test_users_info(slack: FakeSlack, client: WebClient) -> None:
    user = client.users_info(user="U0ALICE01")["user"]
    assert user["id"] == "U0ALICE01" and user["team_id"] == "T0FAKE"
    assert (user["name"], user["real_name"], user["is_bot"]) == ("alice", "Alice Martin", False)
    assert user["profile"] == {
        "display_name": "Alice",
        "display_name_normalized": "Alice",
        "real_name": "Alice Martin",
        "real_name_normalized": "Alice Martin",
    }
    assert user["tz"] == "Europe/Paris" and user["tz_offset"] in {3600, 7200}
    slack.add_user("U0BOT", "", real_name="Build Bot", tz="UTC", is_bot=True)
    bot = client.users_info(user="U0BOT")["user"]
    assert (bot["name"], bot["tz_offset"], bot["is_bot"]) == ("build.bot", 0, True)
    error = error_of(lambda: client.users_info(user="U0NOBODY"))
    assert error.response["error"] == "user_not_found"


def test_usergroups_list(client: WebClient) -> None:
    (group,) = client.usergroups_list()["usergroups"]
    assert (group["id"], group["handle"], group["name"]) == ("S0DEVS", "devs", "Developers")


def test_post_message_stores_a_bot_message(slack: FakeSlack, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel=NEWS, text="hi", blocks=blocks, unfurl_links=False)
    second = client.chat_postMessage(channel=NEWS, text="again")
    assert first["channel"] == NEWS
    assert Decimal(second["ts"]) > Decimal(first["ts"])
    message = first["message"]
    assert (message["bot_id"], message["user"], message["text"]) == ("BBRIDGE", "UBRIDGEBOT", "hi")
    assert message["blocks"] == blocks
    (posted, _) = slack.posted
    assert (posted.channel, posted.text, posted.thread_ts, posted.ts) == (
        NEWS,
        "hi",
        None,
        first["ts"],
    )
    assert posted.blocks == blocks and posted.params["unfurl_links"] is False
    history = client.conversations_history(channel=NEWS)["messages"]
    assert [m["ts"] for m in history] == [second["ts"], first["ts"]]


def test_post_message_in_a_thread(slack: FakeSlack, client: WebClient) -> None:
    parent = slack.add_message(NEWS, {"text": "parent"})["ts"]
    reply = client.chat_postMessage(channel=NEWS, text="done", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    assert slack.posted[0].thread_ts == parent
    assert [m["ts"] for m in client.conversations_history(channel=NEWS)["messages"]] == [parent]
    thread_ts = [m["ts"] for m in client.conversations_replies(channel=NEWS, ts=parent)["messages"]]
    assert thread_ts == [parent, reply["ts"]]


def test_post_message_errors(slack: FakeSlack, client: WebClient) -> None:
    outside = error_of(lambda: client.chat_postMessage(channel=OUTSIDE, text="x"))
    assert outside.response["error"] == "not_in_channel"
    nowhere = error_of(lambda: client.chat_postMessage(channel="C0NOPE", text="x"))
    assert nowhere.response["error"] == "channel_not_found"
    empty = error_of(lambda: client.api_call("chat.postMessage", json={"channel": NEWS}))
    assert empty.response["error"] == "no_text"
    assert slack.posted == []
    assert len(slack.calls_to("chat.postMessage")) == 3


def test_post_ephemeral(slack: FakeSlack, client: WebClient) -> None:
    answer = client.chat_postEphemeral(
        channel=NEWS, user="U0ALICE01", text="only you", thread_ts="1.2"
    )
    (ephemeral,) = slack.ephemerals
    assert answer["message_ts"] == ephemeral.ts
    assert (ephemeral.channel, ephemeral.user, ephemeral.text) == (NEWS, "U0ALICE01", "only you")
    assert ephemeral.thread_ts == "1.2" and ephemeral.blocks is None
    assert client.conversations_history(channel=NEWS)["messages"] == []


def test_reactions_add(slack: FakeSlack, client: WebClient) -> None:
    ts = slack.add_message(NEWS, {"user": "U0ALICE01", "text": "hello"})["ts"]
    client.reactions_add(channel=NEWS, timestamp=ts, name="white_check_mark")
    assert [(r.channel, r.timestamp, r.name) for r in slack.reactions_added] == [
        (NEWS, ts, "white_check_mark")
    ]
    (message,) = client.conversations_history(channel=NEWS)["messages"]
    assert message["reactions"] == [
        {"name": "white_check_mark", "users": ["UBRIDGEBOT"], "count": 1}
    ]
    again = error_of(
        lambda: client.reactions_add(channel=NEWS, timestamp=ts, name="white_check_mark")
    )
    assert again.response["error"] == "already_reacted"
    missing = error_of(lambda: client.reactions_add(channel=NEWS, timestamp="1.5", name="x"))
    assert missing.response["error"] == "message_not_found"
    assert len(slack.reactions_added) == 1


def test_response_urls(slack: FakeSlack) -> None:
    url = slack.response_url("cmd-1")
    assert url == f"{slack.url}/response/cmd-1"
    reply = httpx.post(url, json={"response_type": "ephemeral", "text": "working on it"})
    assert (reply.status_code, reply.text) == (200, "ok")
    (response,) = slack.responses
    assert response.key == "cmd-1" and response.body["text"] == "working on it"
    assert httpx.post(f"{slack.url}/response/unknown", json={}).status_code == 404


def test_fail_next_rate_limit_is_429_with_retry_after(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", times=2)
    for _ in range(2):
        error = error_of(lambda: client.chat_postMessage(channel=NEWS, text="x"))
        assert error.response.status_code == 429
        assert error.response["error"] == "ratelimited"
        assert error.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel=NEWS, text="x")["ok"] is True


def test_rate_limit_retry_handler_gets_through(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("reactions.add", retry_after=0)
    ts = slack.add_message(NEWS, {"text": "m"})["ts"]
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.reactions_add(channel=NEWS, timestamp=ts, name="eyes")["ok"] is True
    assert len(slack.calls_to("reactions.add")) == 2


def test_fail_next_with_another_error(slack: FakeSlack, client: WebClient) -> None:
    slack.fail_next("users.info", "fatal_error", status=500)
    assert error_of(lambda: client.users_info(user="U0ALICE01")).response.status_code == 500
    slack.fail_next("users.info", "account_inactive")
    error = error_of(lambda: client.users_info(user="U0ALICE01"))
    assert (error.response.status_code, error.response["error"]) == (200, "account_inactive")
    assert client.users_info(user="U0ALICE01")["ok"] is True


def test_drop_next_closes_the_connection_unanswered(slack: FakeSlack) -> None:
    slack.drop_next("chat.postMessage")
    auth = {"Authorization": "Bearer xoxb-test-token"}
    with httpx.Client(base_url=slack.url, headers=auth) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            http.post("/api/chat.postMessage", data={"channel": NEWS, "text": "lost"})
        answer = http.post("/api/chat.postMessage", data={"channel": NEWS, "text": "kept"})
    assert answer.json()["ok"] is True
    assert [m.text for m in slack.posted] == ["kept"]
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_add_method_extends_the_api(slack: FakeSlack, client: WebClient) -> None:
    def files_info(params: dict[str, Any]) -> dict[str, Any]:
        if params.get("file") != "F1":
            raise MethodRefused("file_not_found")
        return {"ok": True, "file": {"id": "F1"}}

    slack.add_method("files.info", files_info)
    assert client.files_info(file="F1")["file"] == {"id": "F1"}
    assert error_of(lambda: client.files_info(file="F2")).response["error"] == "file_not_found"


def test_add_message_fills_type_and_ts(slack: FakeSlack) -> None:
    first = slack.add_message(NEWS, {"text": "a"})
    given = slack.add_message(NEWS, {"text": "b", "ts": "9999999999.000001", "type": "message"})
    later = slack.add_message(NEWS, {"text": "c"})
    assert first["type"] == "message" and Decimal(first["ts"]) > 0
    assert given["ts"] == "9999999999.000001"
    assert Decimal(later["ts"]) > Decimal(given["ts"])
    first["text"] = "changed"
    assert slack.messages(NEWS)[0]["text"] == "a"
    with pytest.raises(KeyError):
        slack.add_message("C0NOPE", {"text": "x"})


def test_concurrent_posts_get_distinct_increasing_ts(slack: FakeSlack, client: WebClient) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda i: client.chat_postMessage(channel=NEWS, text=str(i)), range(20))
        )
    stamps = {answer["ts"] for answer in answers}
    assert len(stamps) == 20
    posted = [record.ts for record in slack.posted]
    assert posted == sorted(posted, key=Decimal)


def test_wait_for_sees_a_message_posted_from_another_thread(
    slack: FakeSlack, client: WebClient
) -> None:
    poster = threading.Thread(target=lambda: client.chat_postMessage(channel=NEWS, text="late"))
    poster.start()
    wait_for(lambda: len(slack.posted) == 1, timeout=5)
    poster.join()
    assert slack.posted[0].text == "late"


def test_wait_for_times_out_with_a_clear_message() -> None:
    with pytest.raises(AssertionError, match=r"timed out after 0\.05s waiting for the reply"):
        wait_for(lambda: False, timeout=0.05, message="the reply")
    with pytest.raises(TimeoutError):
        wait_for(lambda: False, timeout=0.01)


def test_permission_lookups(slack: FakeSlack, client: WebClient) -> None:
    """users.info roles and strangers, conversations.info kinds, user group members."""
    slack.add_user("U0ADMIN01", "Ada", is_admin=True)
    slack.add_user("U0OUT0001", "Olga", team_id="T0OTHER")
    slack.add_channel("C0SHARED1", "shared", is_ext_shared=True)
    slack.add_channel("D0DIRECT1", "direct", is_im=True)
    slack.add_usergroup("S0EDIT", "editors", "Editors", users=("U0ALICE01",))
    admin = client.users_info(user="U0ADMIN01")["user"]
    assert admin["is_admin"] is True and admin["is_owner"] is False
    outsider = client.users_info(user="U0OUT0001")["user"]
    assert outsider["is_stranger"] is True and outsider["team_id"] == "T0OTHER"
    shared = client.conversations_info(channel="C0SHARED1")["channel"]
    assert shared["is_ext_shared"] and shared["is_shared"] and not shared["is_private"]
    direct = client.conversations_info(channel="D0DIRECT1")["channel"]
    assert direct["is_im"] and direct["is_private"]
    assert client.usergroups_users_list(usergroup="S0EDIT")["users"] == ["U0ALICE01"]
    assert "users" not in client.usergroups_list()["usergroups"][1]
    with pytest.raises(SlackApiError) as refused:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert refused.value.response["error"] == "no_such_subteam"


def test_views_publish_and_open(slack: FakeSlack, client: WebClient) -> None:
    """A home view for a known user, a modal for a trigger; malformed views are refused."""
    home = {"type": "home", "blocks": []}
    assert client.views_publish(user_id="U0ALICE01", view=home)["ok"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    assert client.views_open(trigger_id="1.2", view=modal)["ok"]
    assert [(v.user_id, v.trigger_id) for v in slack.views] == [("U0ALICE01", None), (None, "1.2")]
    with pytest.raises(SlackApiError) as wrong:
        client.views_open(trigger_id="5.6", view=home)
    assert wrong.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as unknown:
        client.views_publish(user_id="U0NOBODY", view=home)
    assert unknown.value.response["error"] == "user_not_found"


MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Share to community"},
    "blocks": [],
}


def test_views_open_once_per_trigger_and_update(slack: FakeSlack, client: WebClient) -> None:
    """views.open answers the view with an id; a trigger works once; views.update by id."""
    opened = client.views_open(trigger_id="1.2.abc", view=MODAL)["view"]
    assert opened["id"] and slack.modals[0]["title"]["text"] == "Share to community"
    assert (
        error_of(lambda: client.views_open(trigger_id="1.2.abc", view=MODAL)).response["error"]
        == "exchanged_trigger_id"
    )
    bad = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    assert (
        error_of(lambda: client.views_open(trigger_id="3.4.d", view=bad)).response["error"]
        == "invalid_arguments"
    )
    client.views_update(view_id=opened["id"], view={**MODAL, "blocks": [{"type": "divider"}]})
    assert slack.modals[-1]["blocks"] == [{"type": "divider"}]
    assert (
        error_of(lambda: client.views_update(view_id="V404", view=MODAL)).response["error"]
        == "not_found"
    )


def test_edit_and_delete_messages(slack: FakeSlack, client: WebClient) -> None:
    """An edit stamps `edited`; deleting a parent with replies leaves Slack's tombstone."""
    parent, _, alone = thread(slack)
    previous, new = slack.edit_message(NEWS, alone, {"text": "changed"})
    assert previous["text"] == "alone" and new["edited"]["user"] == "U0ALICE01"
    _, gone = slack.delete_message(NEWS, alone)
    assert gone is None
    _, tomb = slack.delete_message(NEWS, parent)
    assert tomb is not None and tomb["subtype"] == "tombstone"
    texts = [m["text"] for m in client.conversations_history(channel=NEWS)["messages"]]
    assert texts == ["This message was deleted."]
