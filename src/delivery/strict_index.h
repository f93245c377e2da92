// What EventLog's kStrict mode needs of every recorded event to check a new
// one (ids, facts, digests of changes, incident states), kept in a private
// temporary SQLite database: memory stays at the database's page cache
// however long the history is (issue 14: "under 256 MB for any input size").
// Private to the delivery module.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "delivery/delivery.h"

namespace tollgate::delivery {

using Digest = std::array<std::uint8_t, 16>;

class StrictIndex {
 public:
  // `streams`: also answer Neighbour (an index on each stream's successful
  // deploys by time), for changes from git. `cache_bytes`: the page cache,
  // what the index costs in memory whatever its size.
  static Result<std::unique_ptr<StrictIndex>> Open(bool streams, std::size_t cache_bytes);
  ~StrictIndex();

  struct Deploy {
    std::string service, env, commit;
    bool success = true;
    Millis time = 0;
    std::uint64_t seq = kNoSeq;
    bool changes_known = false;
    Digest changes{};  // when changes_known
  };
  Result<std::optional<Deploy>> FindDeploy(std::string_view id);
  // Records a deploy under a new id: false (and nothing written) if the id
  // is held already (FindDeploy then says with what).
  Result<bool> InsertDeploy(std::string_view id, const Deploy& d);
  Status SetChanges(std::string_view id, const Digest& changes);
  // The successful deploy of (service, env) just before (or after, `next`)
  // (time, id) in (time, id) order, with its id. Needs `streams`.
  Result<std::optional<std::pair<std::string, Deploy>>> Neighbour(std::string_view service, std::string_view env,
                                                                  Millis time, std::string_view id, bool next);
  Result<bool> IsService(std::string_view service);

  struct Incident {
    bool has_open = false, is_resolved = false;
    Millis opened = 0, resolved = 0;
    std::uint64_t open_seq = kNoSeq, resolve_seq = kNoSeq;
    std::string cause;
  };
  Result<std::optional<Incident>> FindIncident(std::string_view service, std::string_view id);
  Status PutIncident(std::string_view service, std::string_view id, const Incident& i);

  struct Change {
    Millis time = 0;
    std::uint64_t seq = kNoSeq;
  };
  Result<std::optional<Change>> FindChange(std::string_view service, std::string_view commit);
  // Records a new change: false (nothing written) if it is held already.
  Result<bool> InsertChange(std::string_view service, std::string_view commit, const Change& c);

 private:
  struct Impl;
  explicit StrictIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tollgate::delivery
