// Non-variadic wrappers for libcurl's variadic setters and getters, which Swift cannot call.
// Only the `Curl` module imports this; nothing else may call libcurl.
#ifndef MCW_CCURL_SHIM_H
#define MCW_CCURL_SHIM_H

#include <curl/curl.h>
#include <stddef.h>

typedef size_t (*mcw_curl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*mcw_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                                          curl_off_t ultotal, curl_off_t ulnow);
typedef int (*mcw_curl_sockopt_callback)(void *clientp, curl_socket_t curlfd, curlsocktype purpose);

static inline CURLcode mcw_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mcw_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mcw_easy_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mcw_easy_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mcw_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mcw_easy_setopt_data_callback(CURL *h, CURLoption o, mcw_curl_data_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode mcw_easy_setopt_xferinfo_callback(CURL *h, mcw_curl_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

/// Sets a blob option (CURLOPT_CAINFO_BLOB, CURLOPT_SSLCERT_BLOB, CURLOPT_SSLKEY_BLOB); libcurl copies the bytes.
static inline CURLcode mcw_easy_setopt_blob(CURL *h, CURLoption o, const void *data, size_t len) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = len;
    blob.flags = CURL_BLOB_COPY;
    return curl_easy_setopt(h, o, &blob);
}

static inline CURLcode mcw_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode mcw_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode mcw_easy_getinfo_pointer(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode mcw_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

/// The pieces of a CURLMsg, which Swift cannot read through its union.
static inline int mcw_multi_info_read(CURLM *m, CURL **easy, CURLcode *result) {
    int queued = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &queued)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            *easy = msg->easy_handle;
            *result = msg->data.result;
            return 1;
        }
    }
    return 0;
}

static const size_t mcw_curl_writefunc_pause = CURL_WRITEFUNC_PAUSE;
static const long mcw_curl_global_all = CURL_GLOBAL_ALL;
static const int mcw_curlpause_cont = CURLPAUSE_CONT;

#endif
