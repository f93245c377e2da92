// Rego values: null, boolean, number, string, array, object and set.
//
// A Value is small (kind, a number and one shared pointer) and copies in
// constant time: strings and collections are immutable and shared between
// copies (structural sharing of whole collections; a "modified" collection is
// a new one). Objects and sets keep their members sorted in OPA's canonical
// order, so comparison, printing and lookup are deterministic and lookups are
// binary searches.
//
// Numbers: integers are exact 64-bit values; an integer that overflows, and
// every non-integer, is a double (an integral double that fits in 64 bits is
// normalised back to an integer, as OPA prints 3 for 1.5 + 1.5). Integer
// literals too large for 64 bits keep their literal text for output.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace tollgate::rego {

enum class Kind : std::uint8_t { kUndefined, kNull, kBool, kNumber, kString, kArray, kObject, kSet };

class Value;
using Array = std::vector<Value>;
using ObjectItems = std::vector<std::pair<Value, Value>>;

class Value {
 public:
  Value() = default;  // undefined (an unbound variable, a missing result)
  static Value Null();
  static Value Bool(bool b);
  static Value Int(std::int64_t i);
  static Value Double(double d);  // normalised: integral values become Int
  // Parses a Rego/JSON number literal; big integers keep their text.
  static Value NumberFromText(std::string_view text);
  static Value String(std::string s);
  static Value MakeArray(Array items);
  // Sorts and removes duplicates.
  static Value MakeSet(Array items);
  // Sorts by key; on a duplicate key keeps the last value.
  static Value MakeObject(ObjectItems items);
  static Value EmptyObject();
  static Value EmptySet();
  static Value EmptyArray();

  Kind kind() const { return kind_; }
  bool defined() const { return kind_ != Kind::kUndefined; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_set() const { return kind_ == Kind::kSet; }
  bool is_collection() const { return kind_ == Kind::kArray || kind_ == Kind::kObject || kind_ == Kind::kSet; }

  bool as_bool() const { return b_; }
  bool is_int() const { return kind_ == Kind::kNumber && is_int_; }
  std::int64_t as_int() const { return i_; }
  double as_double() const { return is_int_ ? static_cast<double>(i_) : d_; }
  // The literal text of an integer too big for 64 bits, else empty.
  const std::string* big_text() const { return is_int_ || !ptr_ ? nullptr : static_cast<const std::string*>(ptr_.get()); }
  const std::string& as_string() const { return *static_cast<const std::string*>(ptr_.get()); }
  // Elements of an array or (sorted) members of a set.
  const Array& items() const { return *static_cast<const Array*>(ptr_.get()); }
  const ObjectItems& object() const { return *static_cast<const ObjectItems*>(ptr_.get()); }
  std::size_t size() const;

  // Object member or array element (number key) lookup; nullptr when absent.
  const Value* Get(const Value& key) const;
  const Value* Get(std::string_view key) const;
  bool SetContains(const Value& v) const;

  // True for every value except false and undefined.
  bool truthy() const { return kind_ != Kind::kUndefined && !(kind_ == Kind::kBool && !b_); }

  friend int Compare(const Value& a, const Value& b);
  friend bool operator==(const Value& a, const Value& b) { return Compare(a, b) == 0; }
  friend bool operator<(const Value& a, const Value& b) { return Compare(a, b) < 0; }

 private:
  Kind kind_ = Kind::kUndefined;
  bool b_ = false;
  bool is_int_ = true;
  std::int64_t i_ = 0;
  double d_ = 0;
  std::shared_ptr<const void> ptr_;
};

// Approximate bytes of string and collection payloads this thread has
// created (cumulative, never decreases): the evaluator's memory budget is a
// bound on its growth during one evaluation, which also bounds live memory.
extern thread_local std::uint64_t tl_value_bytes;

int Compare(const Value& a, const Value& b);
int CompareNumbers(const Value& a, const Value& b);

// The number as printed by OPA (integers exactly, others shortest round-trip).
std::string NumberText(const Value& n);
// Rego/JSON text: strings quoted, sets as {1, 2}, objects {"a": 1} (OPA's
// String() form, used by sprintf %v and string interpolation).
std::string ToRegoString(const Value& v);
// Compact JSON as OPA marshals it (sets become arrays, non-string object keys
// become their JSON text).
std::string ToJsonText(const Value& v);
std::string TypeName(const Value& v);

nlohmann::json ToJson(const Value& v);
Value FromJson(const nlohmann::json& j);

// Builders that collect members unsorted and sort once.
class SetBuilder {
 public:
  void Add(Value v) { items_.push_back(std::move(v)); }
  Value Build() { return Value::MakeSet(std::move(items_)); }
  bool empty() const { return items_.empty(); }

 private:
  Array items_;
};

}  // namespace tollgate::rego
