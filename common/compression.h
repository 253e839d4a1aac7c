/* SPDX-License-Identifier: MIT */
/* The compressions distill writes and reads, by one name each: the vocabulary the tar writer
 * (packer/archive), the stream reader (verify/) and the OCI media types (manifest/) share. */
#ifndef DISTILL_COMMON_COMPRESSION_H
#define DISTILL_COMMON_COMPRESSION_H

enum dt_compression {
	DT_COMP_NONE,
	DT_COMP_GZIP,
	DT_COMP_ZSTD,
};

/* "none", "gzip" or "zstd" -> *@out. @return 0, or -1 for an unknown name. */
int dt_compression_parse(const char *name, enum dt_compression *out);

/* "none", "gzip" or "zstd". */
const char *dt_compression_name(enum dt_compression c);

/* The compression a file name asks for: .tar none, .tar.gz/.tgz gzip, .tar.zst/.tzst zstd.
 * @return 1 and sets *@out when the suffix is one of those, else 0. */
int dt_compression_from_suffix(const char *path, enum dt_compression *out);

#endif
