-- PostgreSQL dialect of schema/0009_uploads.sql (same tables, columns and indexes; BIGINT for
-- SQLite's INTEGER, identity columns for its rowid keys).
-- Resumable multipart uploads (issue 12): the upload id an S3 server gave a job's upload and
-- the parts it has acknowledged, so that the job's next attempt (after a failure, a restart or
-- kill -9) sends only the missing parts. A row lives while the upload is in progress: it is
-- deleted when the upload completes or is aborted, and with its job.
CREATE TABLE uploads (
  job_id     BIGINT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  target     TEXT    NOT NULL,
  object_key TEXT    NOT NULL,
  file_path  TEXT    NOT NULL,
  file_size  BIGINT NOT NULL,
  file_mtime BIGINT NOT NULL,   -- ns since the epoch: a changed file starts a new upload
  upload_id  TEXT    NOT NULL,
  part_size  BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE upload_parts (
  job_id      BIGINT NOT NULL REFERENCES uploads (job_id) ON DELETE CASCADE,
  part_number BIGINT NOT NULL,
  size        BIGINT NOT NULL,
  etag        TEXT    NOT NULL,
  md5         TEXT    NOT NULL,
  PRIMARY KEY (job_id, part_number)
);
