"""The vCenter simulator harness itself (tests/vcsim): the vSphere provider's tests rely on
its ExportVm lease and its session expiry hook behaving as a vCenter does."""
import os
import re

import pytest

from vcsim_support import Soap, Vcsim


@pytest.fixture
def sim(tmp_path):
    disk = tmp_path / "source.vmdk"
    disk.write_bytes(os.urandom(256 * 1024))
    s = Vcsim(tmp_path, disk=disk)
    yield s
    s.stop()


def test_export_vm_lease_serves_the_datastore_disk(sim, tmp_path):
    soap = Soap(sim)
    status, text = soap.login()
    assert status == 200 and "LoginResponse" in text, text[:300]
    vm = soap.find_vm("DC0_H0_VM0")
    status, text = soap.export_vm(vm)
    assert status == 200, text[:300]
    lease = re.search(r'<returnval type="HttpNfcLease">([^<]+)</returnval>', text).group(1)

    status, text = soap.call(
        '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
        'propertyCollector</_this><specSet><propSet><type>HttpNfcLease</type>'
        '<pathSet>info</pathSet><pathSet>state</pathSet></propSet><objectSet>'
        f'<obj type="HttpNfcLease">{lease}</obj></objectSet></specSet><options/>'
        '</RetrievePropertiesEx>')
    assert status == 200 and ">ready<" in text, text[:500]
    urls = re.findall(r"<url>([^<]+)</url>", text)
    assert len(urls) == 1, text[:800]
    url = urls[0].replace("&amp;", "&")
    assert soap.get(url) == (tmp_path / "source.vmdk").read_bytes()

    status, text = soap.call(f'<HttpNfcLeaseComplete xmlns="urn:vim25"><_this type="HttpNfcLease">'
                             f'{lease}</_this></HttpNfcLeaseComplete>')
    assert status == 200 and "HttpNfcLeaseCompleteResponse" in text, text[:300]


def test_export_vm_needs_a_session_and_a_real_vm(sim):
    soap = Soap(sim)
    status, text = soap.export_vm("vm-42")
    assert status == 500 and "NotAuthenticated" in text, text[:300]
    soap.login()
    status, text = soap.export_vm("vm-does-not-exist")
    assert status == 500 and "ManagedObjectNotFound" in text, text[:300]


def test_wrong_password_is_invalid_login(sim):
    status, text = Soap(sim).login(password="wrong")
    assert status == 500 and "InvalidLogin" in text, text[:300]


def test_expire_sessions_ends_other_sessions(sim):
    soap = Soap(sim)
    soap.login()
    vm = soap.find_vm("DC0_H0_VM0")
    assert sim.expire_sessions() >= 1
    status, text = soap.export_vm(vm)
    assert status == 500 and "NotAuthenticated" in text, text[:300]
    soap.login()
    status, text = soap.export_vm(vm)
    assert status == 200 and "ExportVmResponse" in text, text[:300]
