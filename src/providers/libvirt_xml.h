// The parts of a libvirt domain's XML description (virDomainGetXMLDesc) that the libvirt
// provider needs: its disks, with the image each reads now and, for a disk whose image is an
// overlay (after an external snapshot), the backing image below it.
//
// libvirt writes this XML itself (attributes in single quotes, one element per line), but the
// parser takes either quote style and any layout, and ignores what it does not know, so a
// newer libvirt's additions pass through.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::providers {

struct LibvirtDisk {
  std::string target;          // "vda": how libvirt names the disk in its APIs
  std::string device;          // disk | cdrom | floppy | lun
  std::string source;          // the image file (or block device) the domain uses now
  std::string format;          // the driver's type: raw, qcow2, ... ("" when not said)
  std::string backing;         // the backing image's file, "" when none is shown
  std::string backing_format;  // its format
};

// The <disk> elements of <devices>, in document order. Errors: invalid when the text is not
// a <domain> description.
Result<std::vector<LibvirtDisk>> parse_domain_disks(const std::string& xml);

// The value of attribute `name` in the first `<element ...>` tag of `xml` at or after `from`,
// and before `until` (std::string::npos: the end); "" when absent.
std::string xml_attribute(const std::string& xml, const std::string& element,
                          const std::string& name, std::size_t from = 0,
                          std::size_t until = std::string::npos);

}  // namespace hypersdk::providers
