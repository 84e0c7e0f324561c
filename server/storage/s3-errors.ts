import { DomainError } from "../errors";

type S3ishError = Error & { name?: string; code?: string; Code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };

/** Explains an S3 SDK or network error on a bucket/key in words a person can act on. */
export function explainS3Error(e: unknown, where: string): DomainError {
  if (e instanceof DomainError) return e;
  const err = e as S3ishError;
  const name = err?.name ?? "";
  const code = err?.code ?? (err as { Code?: string })?.Code ?? "";
  const status = err?.$metadata?.httpStatusCode;
  // The SDK error drags the whole HTTP response along; keep only what explains it.
  const summary = { name, code, status, message: err?.message };
  const say = (c: "PRECONDITION" | "UNAVAILABLE" | "NOT_FOUND", msg: string, retryable = false) => new DomainError(c, msg, { cause: summary, retryable });
  if (name === "CredentialsProviderError")
    return say("PRECONDITION", `No S3 credentials for ${where}: enter an access key on the storage target, or give the dbbackup process AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, or an instance role).`);
  if (name === "NoSuchBucket") return say("PRECONDITION", `Bucket of ${where} does not exist. Create it or fix the bucket name.`);
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) return say("NOT_FOUND", `${where} does not exist.`);
  if (name === "InvalidAccessKeyId") return say("PRECONDITION", `S3 rejected the access key id for ${where}: it does not exist at this endpoint. Check the key id and the endpoint.`);
  if (name === "SignatureDoesNotMatch") return say("PRECONDITION", `S3 rejected the signature for ${where}: the secret access key is wrong (or the region is).`);
  if (name === "AccessDenied" || status === 403)
    return say("PRECONDITION", `Access denied on ${where}. The credentials need s3:PutObject, s3:GetObject, s3:DeleteObject, s3:ListBucket and s3:AbortMultipartUpload on this bucket/prefix.`);
  if (name === "PermanentRedirect" || name === "AuthorizationHeaderMalformed") return say("PRECONDITION", `Wrong region for ${where}: ${err.message}`);
  if (["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EPIPE", "EHOSTUNREACH"].includes(code) || /ECONNREFUSED|ENOTFOUND|socket hang up|ETIMEDOUT/.test(err?.message ?? "")) {
    return say("UNAVAILABLE", `Cannot reach the S3 endpoint for ${where} (${code || err.message}). Check the endpoint URL and that the service is up.`, true);
  }
  if (name === "NotImplemented" || status === 501) return say("PRECONDITION", `${where}: this S3-compatible server does not implement the request (${err.message}).`);
  if (status && status >= 500) return say("UNAVAILABLE", `S3 error ${status} on ${where}: ${err.message}. It will be retried.`, true);
  return say("UNAVAILABLE", `S3 error on ${where}: ${name ? name + ": " : ""}${err?.message ?? String(e)}`, status === undefined || status >= 500);
}
