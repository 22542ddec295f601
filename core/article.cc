#include "core/article.h"

namespace assay {

std::string_view FetchOutcomeName(FetchOutcome o) {
  switch (o) {
    case FetchOutcome::kNever: return "never";
    case FetchOutcome::kOk: return "ok";
    case FetchOutcome::kNotModified: return "not_modified";
    case FetchOutcome::kFailed: return "failed";
  }
  return "unknown";
}

}  // namespace assay
