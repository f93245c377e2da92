#include "scan/deps/cvss.h"

namespace tollgate::deps {

Result<double> CvssV4BaseScore(std::string_view vector) {
  return Fail(Error::Input("CVSS vector '" + std::string(vector) + "': CVSS v4.0 scoring is not available"));
}

}  // namespace tollgate::deps
