// statfs reports ext2, ext3 and ext4 with one magic (0xEF53), which `stat -f` prints as
// "ext2/ext3": the datadir's filesystem comes from the mount table instead.
import { describe, expect, it } from "vitest";
import { fstypeFromMountinfo, refineFilesystemType } from "../../server/mysql/filesystem-type";
import { filesystemOf } from "../../server/mysql/introspect";

const MOUNTINFO = [
  "21 26 0:20 / /proc rw,relatime - proc proc rw",
  "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard",
  "27 26 8:17 / /srv rw,relatime shared:1 - ext3 /dev/sdb1 rw,errors=continue",
  "28 27 8:33 / /srv/mysql\\040data rw,noatime shared:2 - xfs /dev/sdc1 rw,attr2",
  "29 26 0:40 /@mysql /var/lib/mysql rw,relatime - btrfs /dev/loop0 rw,space_cache=v2,subvol=/@mysql",
  "30 26 0:41 / /var/lib/mysqlold rw,relatime - ext2 /dev/sdd1 rw",
  "31 29 0:42 / /var/lib/mysql rw,relatime - ext4 /dev/sde1 rw",
].join("\n");

describe("filesystem type of a path from /proc/self/mountinfo", () => {
  it("takes the longest mount point containing the path, on whole path components", () => {
    expect(fstypeFromMountinfo(MOUNTINFO, "/home/x")).toBe("ext4");
    expect(fstypeFromMountinfo(MOUNTINFO, "/srv/backups")).toBe("ext3");
    expect(fstypeFromMountinfo(MOUNTINFO, "/srv")).toBe("ext3");
    // \040 is a space in a mount point; /srvx is not inside /srv
    expect(fstypeFromMountinfo(MOUNTINFO, "/srv/mysql data/ibdata1")).toBe("xfs");
    expect(fstypeFromMountinfo(MOUNTINFO, "/srvx")).toBe("ext4");
    expect(fstypeFromMountinfo(MOUNTINFO, "/var/lib/mysqlold/db")).toBe("ext2");
  });

  it("the mount listed last wins when one is mounted over another", () => {
    expect(fstypeFromMountinfo(MOUNTINFO, "/var/lib/mysql/shop")).toBe("ext4");
    expect(fstypeFromMountinfo(MOUNTINFO.split("\n").slice(0, 6).join("\n"), "/var/lib/mysql/shop")).toBe("btrfs");
  });

  it("turns statfs's ext2/ext3 into ext2, ext3 or ext4; other types stay as statfs named them", () => {
    expect(refineFilesystemType("ext2/ext3", "/var/lib/mysql", MOUNTINFO)).toBe("ext4");
    expect(refineFilesystemType("ext2/ext3", "/srv/data", MOUNTINFO)).toBe("ext3");
    expect(refineFilesystemType("ext2/ext3", "/var/lib/mysqlold", MOUNTINFO)).toBe("ext2");
    expect(refineFilesystemType("btrfs", "/srv/data", MOUNTINFO)).toBe("btrfs");
    // no mount table, or one that does not say ext*: the statfs answer is kept
    expect(refineFilesystemType("ext2/ext3", "/srv/data", null)).toBe("ext2/ext3");
    expect(refineFilesystemType("ext2/ext3", "/srv/mysql data", MOUNTINFO)).toBe("ext2/ext3");
    expect(refineFilesystemType(null, "/srv", MOUNTINFO)).toBeNull();
  });

  it("this machine's filesystem is never reported as ext2/ext3", async () => {
    const t = await filesystemOf(process.cwd());
    expect(t).not.toBeNull();
    expect(t).not.toBe("ext2/ext3");
  });
});
