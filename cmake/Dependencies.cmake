# Every third-party dependency, found in one place. All are installed by scripts/install-deps:
# Debian packages, and librdkafka and RocksDB built from their release sources (below).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(Snappy REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
pkg_check_modules(AVRO_C REQUIRED IMPORTED_TARGET avro-c)
pkg_check_modules(CFITSIO REQUIRED IMPORTED_TARGET cfitsio)
pkg_check_modules(HEALPIX_CXX REQUIRED IMPORTED_TARGET healpix_cxx)
find_package(PNG REQUIRED)
if(DEFINED ENV{LANTERN_DEPS})
  set(_lantern_deps "$ENV{LANTERN_DEPS}")
else()
  set(_lantern_deps "$ENV{HOME}/.cache/lantern/deps")
endif()
# RocksDB: the release build scripts/install-deps makes (static, under LANTERN_DEPS), else
# Debian's, which is compiled without NDEBUG: its assertions and test sync points run inside
# every memtable insert (docs/benchmarks.md "A release build of RocksDB").
set(LANTERN_ROCKSDB_VERSION 7.8.3)
set(LANTERN_ROCKSDB_PREFIX "${_lantern_deps}/rocksdb-${LANTERN_ROCKSDB_VERSION}"
    CACHE PATH "RocksDB built by scripts/install-deps")
add_library(lantern_rocksdb INTERFACE)
if(EXISTS "${LANTERN_ROCKSDB_PREFIX}/lib/librocksdb.a")
  target_include_directories(lantern_rocksdb INTERFACE "${LANTERN_ROCKSDB_PREFIX}/include")
  target_link_libraries(lantern_rocksdb INTERFACE "${LANTERN_ROCKSDB_PREFIX}/lib/librocksdb.a"
                        snappy lz4 zstd z Threads::Threads ${CMAKE_DL_LIBS})
  message(STATUS "RocksDB ${LANTERN_ROCKSDB_VERSION} (release build) from ${LANTERN_ROCKSDB_PREFIX}")
else()
  pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
  message(WARNING "RocksDB ${ROCKSDB_VERSION} from the system (assertions compiled in): run "
                  "scripts/install-deps to build a release ${LANTERN_ROCKSDB_VERSION}")
  # Linked statically where Debian ships the archive: its per-comparison perf-context counters
  # are thread-locals, which cost a __tls_get_addr call each from the shared library (~6 % of
  # a Level 1 worker's time in perf) and a plain segment-relative load when linked in.
  find_library(ROCKSDB_STATIC_ARCHIVE librocksdb.a HINTS ${ROCKSDB_LIBRARY_DIRS})
  if(ROCKSDB_STATIC_ARCHIVE)
    target_include_directories(lantern_rocksdb INTERFACE ${ROCKSDB_INCLUDE_DIRS})
    target_link_libraries(lantern_rocksdb INTERFACE ${ROCKSDB_STATIC_ARCHIVE} gflags snappy lz4
                          zstd bz2 z Threads::Threads ${CMAKE_DL_LIBS})
  else()
    target_link_libraries(lantern_rocksdb INTERFACE PkgConfig::ROCKSDB)
  endif()
endif()
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)  # filter differential test
find_package(OpenSSL REQUIRED)
# librdkafka: the release scripts/install-deps builds (static, under LANTERN_DEPS), else the
# system's (Debian 12: 2.0.2, which docs/kafka.md "Which librdkafka" advises against).
set(LANTERN_RDKAFKA_VERSION 2.15.1)
set(LANTERN_RDKAFKA_PREFIX "${_lantern_deps}/librdkafka-${LANTERN_RDKAFKA_VERSION}"
    CACHE PATH "librdkafka built by scripts/install-deps")
add_library(lantern_rdkafka INTERFACE)
if(EXISTS "${LANTERN_RDKAFKA_PREFIX}/lib/librdkafka.a")
  pkg_check_modules(RDKAFKA_DEPS REQUIRED IMPORTED_TARGET libzstd liblz4 zlib)
  set(RDKAFKA_VERSION ${LANTERN_RDKAFKA_VERSION})
  target_include_directories(lantern_rdkafka INTERFACE "${LANTERN_RDKAFKA_PREFIX}/include")
  target_link_libraries(lantern_rdkafka INTERFACE "${LANTERN_RDKAFKA_PREFIX}/lib/librdkafka.a"
                        OpenSSL::SSL OpenSSL::Crypto PkgConfig::RDKAFKA_DEPS Threads::Threads
                        ${CMAKE_DL_LIBS} m rt)
  set(_rdkafka_from "${LANTERN_RDKAFKA_PREFIX}")
else()
  pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
  target_link_libraries(lantern_rdkafka INTERFACE PkgConfig::RDKAFKA)
  set(_rdkafka_from "the system")
  message(WARNING "librdkafka ${RDKAFKA_VERSION} from the system: run scripts/install-deps to "
                  "build ${LANTERN_RDKAFKA_VERSION} (docs/kafka.md \"Which librdkafka\")")
endif()
message(STATUS "librdkafka ${RDKAFKA_VERSION} from ${_rdkafka_from}")

# Real data for tests and benchmarks lives beside the checkout (never copied in).
set(LANTERN_SHARED_DATA "$ENV{LANTERN_SHARED_DATA}" CACHE PATH "Shared test data directory")
if(NOT LANTERN_SHARED_DATA)
  get_filename_component(LANTERN_SHARED_DATA "${PROJECT_SOURCE_DIR}/../shared/data" ABSOLUTE)
endif()
