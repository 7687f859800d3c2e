# Finds every dependency from its Debian package. A missing one stops
# configure with the name of the package to install (./run installs them all).

function(jetimg_missing what package)
  message(FATAL_ERROR "jetimg needs ${what}, which was not found. Install it with:\n"
                      "    sudo apt-get install ${package}\n"
                      "(./run installs every dependency for you.)")
endfunction()

find_package(OpenMP)
if(NOT OpenMP_CXX_FOUND)
  jetimg_missing("OpenMP for C++" "libgomp1 (comes with g++) or libomp-dev")
endif()

find_package(nlohmann_json 3 QUIET)
if(NOT nlohmann_json_FOUND)
  jetimg_missing("nlohmann-json" "nlohmann-json3-dev")
endif()

find_package(CLI11 QUIET CONFIG)
if(NOT CLI11_FOUND)
  jetimg_missing("CLI11" "libcli11-dev")
endif()

find_package(GTest QUIET)
if(NOT GTest_FOUND)
  jetimg_missing("GoogleTest" "libgtest-dev")
endif()

find_package(HDF5 QUIET COMPONENTS C)
if(NOT HDF5_FOUND)
  jetimg_missing("HDF5 (C library)" "libhdf5-dev")
endif()

# ONNX export (models/onnx_export.cpp): the onnx library and its protobuf.
find_package(Protobuf QUIET)
find_package(ONNX QUIET CONFIG)
if(NOT ONNX_FOUND OR NOT TARGET onnx)
  jetimg_missing("the ONNX library (for ONNX export)" "libonnx-dev libprotobuf-dev")
endif()

find_package(HepMC3 QUIET CONFIG)
if(NOT HepMC3_FOUND)
  jetimg_missing("HepMC3" "libhepmc3-dev")
endif()

find_package(ZLIB QUIET)
if(NOT ZLIB_FOUND)
  jetimg_missing("zlib (gzip-compressed event files)" "zlib1g-dev")
endif()

# FastJet ships neither a CMake config nor a pkg-config file in Debian.
find_path(FASTJET_INCLUDE_DIR fastjet/ClusterSequence.hh)
find_library(FASTJET_LIBRARY fastjet)
find_library(FASTJETTOOLS_LIBRARY fastjettools)
if(NOT FASTJET_INCLUDE_DIR OR NOT FASTJET_LIBRARY)
  jetimg_missing("FastJet" "libfastjet-dev")
endif()
if(NOT FASTJETTOOLS_LIBRARY)
  jetimg_missing("FastJet tools (trimming)" "libfastjettools-dev")
endif()
add_library(jetimg_fastjet INTERFACE)
target_include_directories(jetimg_fastjet SYSTEM INTERFACE ${FASTJET_INCLUDE_DIR})
target_link_libraries(jetimg_fastjet INTERFACE ${FASTJETTOOLS_LIBRARY} ${FASTJET_LIBRARY})

set(BLA_VENDOR OpenBLAS)
find_package(BLAS QUIET)
find_path(OPENBLAS_CBLAS_INCLUDE_DIR cblas.h
          PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/aarch64-linux-gnu/openblas-pthread
                /usr/include/openblas)
if(NOT BLAS_FOUND OR NOT OPENBLAS_CBLAS_INCLUDE_DIR)
  jetimg_missing("OpenBLAS" "libopenblas-dev")
endif()
add_library(jetimg_blas INTERFACE)
target_include_directories(jetimg_blas SYSTEM INTERFACE ${OPENBLAS_CBLAS_INCLUDE_DIR})
target_link_libraries(jetimg_blas INTERFACE ${BLAS_LIBRARIES})

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(CAIRO QUIET IMPORTED_TARGET cairo)
endif()
if(NOT CAIRO_FOUND)
  jetimg_missing("cairo (PNG plots)" "libcairo2-dev")
endif()
