#ifndef STEWARD_CCRYPTO_SHIM_H
#define STEWARD_CCRYPTO_SHIM_H
/* OpenSSL's libcrypto (already a dependency of libcurl's OpenSSL build): SHA-256
   for content addressing and token hashing, HMAC-SHA256 for webhook signatures, and
   a CSPRNG for tokens. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#endif
