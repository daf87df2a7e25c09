// -----------------------------------------------------------------------------
// File: perpcore/version.hpp
// -----------------------------------------------------------------------------
//
// The library version. PERPCORE_VERSION_NUMBER = major*10000 + minor*100 + patch.
#ifndef PERPCORE_VERSION_HPP_
#define PERPCORE_VERSION_HPP_

#define PERPCORE_VERSION_MAJOR 0
#define PERPCORE_VERSION_MINOR 1
#define PERPCORE_VERSION_PATCH 0
#define PERPCORE_VERSION_NUMBER                                        \
  (PERPCORE_VERSION_MAJOR * 10000 + PERPCORE_VERSION_MINOR * 100 +     \
   PERPCORE_VERSION_PATCH)
#define PERPCORE_VERSION_STRING "0.1.0"

#endif  // PERPCORE_VERSION_HPP_
