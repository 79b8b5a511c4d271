// The least decoding an oslo.messaging server does with a request, in C with cJSON (Debian's
// libcjson): parse the envelope, parse the double-encoded `oslo.message`, move the `_context_*`
// keys into a context object of their own, and find the request's fields. tools/bench uses it
// for two floors measured in the same run as the worker: a C consumer that decodes every cast,
// and a C RPC server that answers every call. Neither does anything else a real server does
// (no dispatch, duplicate filter, logging or metrics), so a real server cannot beat them.
#ifndef OSLO_DECODE_H
#define OSLO_DECODE_H

#include <cjson/cJSON.h>
#include <string.h>

typedef struct {
  cJSON *message;       // the inner message, context keys removed (owned)
  cJSON *context;       // the `_context_*` keys, prefix removed (owned)
  const char *method;   // NULL when missing or not a string
  const char *msg_id;   // calls only
  const char *reply_q;  // calls only
  const cJSON *args;
} oslo_request;

static void oslo_request_free(oslo_request *r) {
  cJSON_Delete(r->message);
  cJSON_Delete(r->context);
  memset(r, 0, sizeof *r);
}

static const char *oslo_string(const cJSON *object, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

// 0 on success; -1 when the body is not an oslo 2.0 envelope holding a JSON object.
static int oslo_decode(const char *body, size_t length, oslo_request *out) {
  memset(out, 0, sizeof *out);
  cJSON *envelope = cJSON_ParseWithLength(body, length);
  if (!envelope) return -1;
  const char *version = oslo_string(envelope, "oslo.version");
  const char *inner = oslo_string(envelope, "oslo.message");
  if (!version || strcmp(version, "2.0") != 0 || !inner) {
    cJSON_Delete(envelope);
    return -1;
  }
  cJSON *message = cJSON_Parse(inner);
  cJSON_Delete(envelope);
  if (!cJSON_IsObject(message)) {
    cJSON_Delete(message);
    return -1;
  }
  cJSON *context = cJSON_CreateObject();
  cJSON *item = message->child;
  while (item) {
    cJSON *next = item->next;
    if (item->string && strncmp(item->string, "_context_", 9) == 0) {
      cJSON_DetachItemViaPointer(message, item);
      cJSON_AddItemToObject(context, item->string + 9, item);
    }
    item = next;
  }
  out->message = message;
  out->context = context;
  out->method = oslo_string(message, "method");
  out->msg_id = oslo_string(message, "_msg_id");
  out->reply_q = oslo_string(message, "_reply_q");
  out->args = cJSON_GetObjectItemCaseSensitive(message, "args");
  return out->method ? 0 : -1;
}

#endif
