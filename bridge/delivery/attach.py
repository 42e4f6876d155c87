"""The attachment step of a job: Slack files → Amity uploads → ``attachments``.

Each file is looked up (``files.info`` when Slack asks for it), planned, downloaded into a
spooled temporary file and uploaded, a few in parallel. Each ``fileId`` is saved in the
job's progress as soon as it exists, so a retry after a failure never uploads a file twice.

When Amity refuses one upload for good (``AmityRejected``: moderation, a format it does not
take), that file is skipped with Amity's reason, saved too so a retry does not send it
again, and the post goes out with the rest. A file whose URL is not a Slack file URL
(``NotSlackFile``: another host, plain HTTP, a redirect away from Slack) is skipped the
same way, without contacting that host. Temporary failures propagate: the job is retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bridge.amity.client import AmityClient, AmityRejected
from bridge.amity.post import Attachment
from bridge.delivery.files import Downloader, NotSlackFile, Planned, Skipped, needs_info, plan
from bridge.delivery.progress import Progress, Upload
from bridge.slack.message import SlackFile, SlackMessage
from bridge.slack.port import SlackPort

log = logging.getLogger("bridge.delivery.attach")
Save = Callable[[], None]  # stores the job's progress as it is now


class Attacher:
    """Turns a message's files into uploaded Amity attachments."""

    def __init__(
        self,
        slack: SlackPort,
        amity: AmityClient,
        downloader: Downloader,
        *,
        max_bytes: int,
        parallel: int,
    ) -> None:
        self.slack = slack
        self.amity = amity
        self.downloader = downloader
        self.max_bytes = max_bytes
        self.parallel = parallel

    def attach(
        self, message: SlackMessage, progress: Progress, save: Save
    ) -> tuple[list[Attachment], list[Skipped]]:
        """Upload what is not uploaded yet; the attachments in message order and the skips.

        Each upload or refusal is recorded in ``progress.uploads`` / ``progress.refused``
        and saved (``save``) at once."""
        if not message.files:
            return [], []
        files = [self.slack.file_info(f.id) if needs_info(f) else f for f in message.files]
        going, skipped = plan(files, self.max_bytes)
        uploads, refused = progress.uploads, progress.refused
        lock = threading.Lock()

        def one(item: Planned) -> None:
            if item.file.id in uploads or item.file.id in refused:
                return  # done by an earlier attempt
            try:
                file_id = self._transfer(item)
            except NotSlackFile as error:
                log.warning(
                    "bridge.file_not_from_slack",
                    extra={"slack_file": item.file.id, "reason": error.reason},
                )
                with lock:
                    refused[item.file.id] = error.reason
                    save()
                return
            except AmityRejected as error:
                log.warning(
                    "bridge.file_refused",
                    extra={"slack_file": item.file.id, "type": item.type, "code": error.code},
                )
                with lock:
                    refused[item.file.id] = f"Amity refused it: {error.advice}"
                    save()
                return
            with lock:
                uploads[item.file.id] = Upload(fileId=file_id, type=item.type)
                save()

        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="bridge-up") as pool:
            for result in [pool.submit(one, item) for item in going]:
                result.result()  # re-raises the first failure after all have finished
        attachments = [
            Attachment(type=item.type, fileId=uploads[item.file.id].fileId)
            for item in going
            if item.file.id in uploads
        ]
        skipped += [
            Skipped(_name(i.file), refused[i.file.id]) for i in going if i.file.id in refused
        ]
        return attachments, skipped

    def _transfer(self, item: Planned) -> str:
        file: SlackFile = item.file
        name = _name(file)
        with self.downloader.fetch(file, self.max_bytes) as stream:
            file_id = self.amity.upload(
                item.type, stream, name, file.mimetype or "application/octet-stream"
            )
        log.info(
            "bridge.file_uploaded",
            extra={"slack_file": file.id, "amity_file": file_id, "type": item.type},
        )
        return file_id


def _name(file: SlackFile) -> str:
    return file.name or file.title or file.id
