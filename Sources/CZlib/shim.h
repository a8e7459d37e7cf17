// zlib for Swift: the system library (zlib1g-dev), used to read gzip data sets.
#include <zlib.h>
