# Every third-party dependency, found in one place. All come from Debian packages
# installed by scripts/install-deps.
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
pkg_check_modules(ROCKSDB REQUIRED IMPORTED_TARGET rocksdb)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)  # filter differential test
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
find_package(OpenSSL REQUIRED)

# Real data for tests and benchmarks lives beside the checkout (never copied in).
set(LANTERN_SHARED_DATA "$ENV{LANTERN_SHARED_DATA}" CACHE PATH "Shared test data directory")
if(NOT LANTERN_SHARED_DATA)
  get_filename_component(LANTERN_SHARED_DATA "${PROJECT_SOURCE_DIR}/../shared/data" ABSOLUTE)
endif()
