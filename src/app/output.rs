//! Writes generated files: atomically (each under a temporary name, renamed
//! into place) and durably (every file on disk before the first rename).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::AppError;
use crate::render::Artifact;

/// Writes every artifact atomically (temporary file + rename). Existing files
/// are checked first, so a refusal writes nothing at all; every file is
/// written and synced to disk before the first is renamed into place, so a
/// full disk or a failed write replaces nothing either. A file that already
/// holds exactly the new bytes is left alone, modification time included, so
/// that a rerun shows what changed; which artifacts were written comes back
/// in order.
pub(super) fn write_artifacts(
    dir: &Path,
    artifacts: &[Artifact],
    how: &WriteOptions<'_>,
) -> Result<Vec<bool>, AppError> {
    let force = how.force;
    let paths: Vec<PathBuf> = artifacts.iter().map(|a| local_path(dir, &a.path)).collect();
    std::fs::create_dir_all(dir).map_err(|e| output_error(dir, e))?;
    let _lock = if how.lock {
        Some(lock_output_folder(dir)?)
    } else {
        None
    };
    refuse_links_inside(dir, &paths)?;
    refuse_inputs(&paths, how.inputs)?;
    // Only under the lock, and after the links are refused: no other run is
    // writing there, and nothing outside -o is touched.
    if how.lock {
        remove_stale_temporary_files(dir, &paths);
    }
    let written: Vec<bool> = artifacts
        .iter()
        .zip(&paths)
        .map(|(artifact, path)| !holds(path, &artifact.bytes))
        .collect();
    if !force {
        // Only a file that would change is refused: a rerun with the same
        // inputs leaves everything as it is and succeeds. A dangling
        // symbolic link exists too: `Path::exists` would say no.
        let changed_existing = paths
            .iter()
            .zip(&written)
            .find(|(p, w)| **w && std::fs::symlink_metadata(p).is_ok());
        if let Some((existing, _)) = changed_existing {
            return Err(AppError::OutputExists {
                path: existing.display().to_string(),
            });
        }
    }
    // Each changed file, under a temporary name beside where it goes.
    let mut temps = Vec::with_capacity(paths.len());
    let mut folders_made: Vec<&Path> = Vec::new();
    for ((artifact, path), _) in artifacts
        .iter()
        .zip(&paths)
        .zip(&written)
        .filter(|(_, w)| **w)
    {
        let parent = path.parent().unwrap_or(dir);
        if !folders_made.contains(&parent) {
            std::fs::create_dir_all(parent).map_err(|e| output_error(path, e))?;
            // Its ancestors exist now too (`web/` makes the output folder).
            folders_made.extend(parent.ancestors());
        }
        let mut temp = temporary_file(parent).map_err(|e| output_error(path, e))?;
        temp.write_all(&artifact.bytes)
            .map_err(|e| output_error(path, e))?;
        start_writeback(temp.as_file());
        temps.push((temp, path));
    }
    make_durable(&temps)?;
    for (temp, path) in temps {
        temp.persist(path)
            .map_err(|e| output_error(path, e.error))?;
    }
    Ok(written)
}

/// Where an artifact (`web/web.config`) goes under `dir`, joined part by
/// part so that Windows shows one kind of separator (`out\web\web.config`).
pub(super) fn local_path(dir: &Path, relative: &str) -> PathBuf {
    relative
        .split('/')
        .fold(dir.to_path_buf(), |path, part| path.join(part))
}

/// An artifact's name as this system writes paths.
pub(super) fn display_name(relative: &str) -> String {
    relative.replace('/', std::path::MAIN_SEPARATOR_STR)
}

/// How [`write_artifacts`] writes.
pub(super) struct WriteOptions<'a> {
    /// Replace existing files.
    pub force: bool,
    /// Files this run reads, which it must never replace.
    pub inputs: &'a [&'a Path],
    /// Take the output folder's lock ([`LOCK_FILE`]): `gen`, which writes a
    /// set of files that belong together; `review -o` writes one file.
    pub lock: bool,
}

/// Refuses a symbolic link to a folder between the output folder and a
/// file (`out/web` linked elsewhere): files are written only where `-o`
/// says. The output folder itself may be a link: that is the admin's choice.
fn refuse_links_inside(dir: &Path, paths: &[PathBuf]) -> Result<(), AppError> {
    for path in paths {
        let Ok(relative) = path.strip_prefix(dir) else {
            continue;
        };
        let mut folder = dir.to_path_buf();
        let parents: Vec<_> = relative
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .collect();
        for part in parents {
            folder.push(part);
            if std::fs::symlink_metadata(&folder).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(AppError::OutputRefused {
                    path: folder.display().to_string(),
                    message: "is a symbolic link inside the output folder".to_owned(),
                    help: "gen writes only into the folder -o names: remove the link, or give its target as -o",
                });
            }
        }
    }
    Ok(())
}

/// Refuses to replace a file this run reads (a settings file, the
/// `--deploy` file), even with `--force`.
fn refuse_inputs(paths: &[PathBuf], inputs: &[&Path]) -> Result<(), AppError> {
    let inputs: Vec<PathBuf> = inputs
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    for path in paths {
        let Ok(target) = std::fs::canonicalize(path) else {
            continue; // does not exist: not an input
        };
        if inputs.contains(&target) {
            return Err(AppError::OutputRefused {
                path: path.display().to_string(),
                message: "is an input of this run".to_owned(),
                help: "write the generated files to another folder with -o",
            });
        }
    }
    Ok(())
}

/// The lock file `gen` holds in an output folder while it writes there.
pub(super) const LOCK_FILE: &str = ".omero-iis.lock";

/// Prefix of `gen`'s temporary files: a file with it that exists while no
/// run holds the lock was left by a killed run.
const TEMPORARY_PREFIX: &str = ".omero-iis-tmp-";

/// Waits for, then holds, the exclusive lock of the output folder, released
/// when the returned file is closed (also when the process is killed). Runs
/// into one folder take turns, so the folder holds one run's complete set of
/// files, never a mix of two.
///
/// On Unix an advisory `flock` of [`LOCK_FILE`]. On Windows the file is
/// opened without sharing instead: a second run cannot open it until the
/// first closes it (`LockFileEx` over the whole file, what `File::lock` does
/// there, waited forever under Wine 8, where the tests run the .exe).
fn lock_output_folder(dir: &Path) -> Result<File, AppError> {
    let path = dir.join(LOCK_FILE);
    let mut waiting = false;
    loop {
        match open_lock_file(&path) {
            Ok(Some(file)) => return Ok(file),
            Ok(None) => {
                if !waiting {
                    eprintln!(
                        "waiting for another omero-iis gen writing to {}",
                        dir.display()
                    );
                    waiting = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(output_error(&path, e)),
        }
    }
}

/// The lock file, locked; `None` while another run holds it.
#[cfg(not(windows))]
fn open_lock_file(path: &Path) -> std::io::Result<Option<File>> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The lock file, opened with no sharing; `None` while another run has it
/// open (ERROR_SHARING_VIOLATION).
#[cfg(windows)]
fn open_lock_file(path: &Path) -> std::io::Result<Option<File>> {
    use std::os::windows::fs::OpenOptionsExt;
    const ERROR_SHARING_VIOLATION: i32 = 32;
    match std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .share_mode(0)
        .open(path)
    {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes the temporary files that killed runs left in the folders this
/// run writes to (safe under the lock: no other run is writing there).
fn remove_stale_temporary_files(dir: &Path, paths: &[PathBuf]) {
    let mut folders: Vec<&Path> = paths.iter().filter_map(|p| p.parent()).collect();
    folders.push(dir);
    folders.sort();
    folders.dedup();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let stale = entry
                .file_name()
                .to_string_lossy()
                .starts_with(TEMPORARY_PREFIX)
                && entry.file_type().is_ok_and(|t| t.is_file());
            if stale {
                // One that cannot be removed is left; it harms nothing.
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn output_error(path: &Path, e: std::io::Error) -> AppError {
    AppError::Output {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Puts every temporary file's data and metadata on disk, or says which one
/// failed.
///
/// Each file's data is already on its way to the disk ([`start_writeback`]).
/// Waiting for all of it first puts every file's block allocation into one
/// journal transaction (ext4). Then, on Linux, when the kernel reports sync
/// errors, the file system syncs on `syncfs` as on `fsync`, and little else
/// waits to be written, one `syncfs` per file system
/// commits that transaction and flushes the disk cache once; an fsync per
/// file flushes the cache once per file (eight flushes for `gen all`:
/// 0.75 against 0.29 ms, BENCHMARKS.md). Otherwise, and whenever anything
/// reports an error (which, for `syncfs`, may be another program's file),
/// each file is synced on its own, which says exactly whether ours are safe.
fn make_durable(temps: &[(NamedTempFile, &PathBuf)]) -> Result<(), AppError> {
    let files: Vec<&File> = temps.iter().map(|(temp, _)| temp.as_file()).collect();
    let data_written = files.iter().all(|file| finish_writeback(file).is_ok());
    if data_written && sync_file_systems(&files) {
        return Ok(());
    }
    for (temp, path) in temps {
        temp.as_file()
            .sync_all()
            .map_err(|e| output_error(path, e))?;
    }
    Ok(())
}

/// A temporary file in `dir` that becomes an output file once renamed. On
/// Unix it gets the permissions any new file gets (0666 less the umask,
/// usually 0644), not the owner-only 0600 of temporary files: other admins
/// and the account that copies it to the server must be able to read it.
fn temporary_file(dir: &Path) -> std::io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(TEMPORARY_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Whether `path` is a regular file (not a link) holding exactly `bytes`.
/// Anything else, including a file that cannot be read, gets replaced, and
/// a failure to replace it is reported then.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    let same_size = std::fs::symlink_metadata(path)
        .is_ok_and(|meta| meta.file_type().is_file() && meta.len() == bytes.len() as u64);
    same_size && std::fs::read(path).is_ok_and(|existing| existing == bytes)
}

/// Asks the kernel to start writing `file`'s data to disk now, without
/// waiting, so that the files are written together instead of one after
/// another. Only a hint: durability comes from [`make_durable`].
#[cfg(target_os = "linux")]
fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open for the whole call; offset 0 with
    // length 0 means "to the end of the file"; the call reads no memory of ours.
    // An error only means no head start, so it is ignored.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &File) {}

/// Waits until `file`'s data is written (what [`start_writeback`] started,
/// and anything since). An error means a write failed: the caller then
/// syncs each file on its own, which reports it.
#[cfg(target_os = "linux")]
fn finish_writeback(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: as in `start_writeback`.
    let result = unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            0,
            0,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn finish_writeback(_file: &File) -> std::io::Result<()> {
    Ok(())
}

/// Syncs every file system that holds one of `files` with one `syncfs`
/// each, if [`syncfs_reports_errors`] on this kernel, each of them
/// [`commits_like_fsync`] and there is [`little_else_to_write`] (checked in
/// that order, cheapest first); returns whether it did, without an error.
#[cfg(target_os = "linux")]
fn sync_file_systems(files: &[&File]) -> bool {
    let release = || std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let meminfo = || std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if !syncfs_reports_errors(&release()) {
        return false;
    }
    let Ok(file_systems) = one_file_per_file_system(files) else {
        return false;
    };
    file_systems
        .iter()
        .all(|file| commits_like_fsync(file_system_type(file)))
        && little_else_to_write(&meminfo())
        && syncfs_each(&file_systems).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn sync_file_systems(_files: &[&File]) -> bool {
    false
}

/// The first of `files` on each file system (device) they are on.
#[cfg(target_os = "linux")]
fn one_file_per_file_system<'a>(files: &[&'a File]) -> std::io::Result<Vec<&'a File>> {
    use std::os::unix::fs::MetadataExt;
    let mut devices: Vec<u64> = Vec::new();
    let mut firsts = Vec::new();
    for file in files {
        let device = file.metadata()?.dev();
        if !devices.contains(&device) {
            devices.push(device);
            firsts.push(*file);
        }
    }
    Ok(firsts)
}

/// The `statfs` type (magic number) of the file system `file` is on, or 0
/// if it cannot be read (no file system has that type).
#[cfg(target_os = "linux")]
fn file_system_type(file: &File) -> u64 {
    use std::os::fd::AsRawFd;
    // SAFETY: `statfs` is plain data, which `fstatfs` fills in; the
    // descriptor is open for the whole call.
    let mut info: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut info) } != 0 {
        return 0;
    }
    #[allow(clippy::unnecessary_cast)] // its type differs between architectures
    let file_system_type = info.f_type as u64;
    file_system_type
}

/// One `syncfs` of the file system each of `files` is on.
#[cfg(target_os = "linux")]
fn syncfs_each(files: &[&File]) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    for file in files {
        // SAFETY: the descriptor is open for the whole call, which reads no
        // memory of ours.
        if unsafe { libc::syncfs(file.as_raw_fd()) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Whether the file system of this `statfs` type commits and flushes on
/// `syncfs` whatever an fsync of each file would: ext2/3/4, XFS and Btrfs
/// (magic numbers from Linux's `include/uapi/linux/magic.h`). Not, for
/// example, 9p (WSL's view of Windows drives) or a FUSE file system whose
/// server does not implement `FUSE_SYNCFS`: there `syncfs` only writes
/// the kernel's cache, where `fsync` asks the server to sync.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn commits_like_fsync(file_system_type: u64) -> bool {
    const EXT2_3_4: u64 = 0xEF53;
    const XFS: u64 = 0x5846_5342;
    const BTRFS: u64 = 0x9123_683E;
    // On 32-bit systems the type is a signed 32-bit number.
    let magic = file_system_type & 0xFFFF_FFFF;
    [EXT2_3_4, XFS, BTRFS].contains(&magic)
}

/// Whether `syncfs` on the Linux kernel of this release (as in
/// `/proc/sys/kernel/osrelease`) returns errors: writeback errors since
/// 5.8, and the file system's own, such as a failed journal commit, since
/// 5.17 ("vfs: make sync_filesystem return errors from ->sync_fs"). Before,
/// it returned 0 whatever happened, so it cannot stand in for fsync there.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn syncfs_reports_errors(release: &str) -> bool {
    let mut numbers = release
        .trim()
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>());
    match (numbers.next(), numbers.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= (5, 17),
        _ => false,
    }
}

/// Whether little dirty data waits to be written system-wide (`Dirty` and
/// `Writeback` of `/proc/meminfo`, at most 1 MiB), so that a `syncfs`, which
/// writes every dirty file of its file system and waits for them, cannot
/// turn into waiting for another program's large write. About 0.5 MB is
/// usual on an idle machine.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn little_else_to_write(meminfo: &str) -> bool {
    const MOST_KB: u64 = 1024;
    let kb = |field: &str| {
        meminfo.lines().find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()
        })
    };
    match (kb("Dirty"), kb("Writeback")) {
        (Some(dirty), Some(writeback)) => dirty + writeback <= MOST_KB,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncfs_stands_in_for_fsync_only_where_it_reports_errors() {
        for release in ["6.18.44-fc-v657", "5.17.0", "6.1.0-28-amd64", "10.0"] {
            assert!(syncfs_reports_errors(release), "{release}");
        }
        for release in [
            "5.16.20",
            "5.10.0-33-amd64",
            "4.18.0-553.el8_10.x86_64",
            "5",
            "",
            "x",
        ] {
            assert!(!syncfs_reports_errors(release), "{release}");
        }
    }

    #[test]
    fn syncfs_only_when_little_else_waits_to_be_written() {
        let meminfo = |dirty: u64, writeback: u64| {
            format!(
                "MemTotal:       24576000 kB\nDirty:          {dirty:>8} kB\n\
                 Writeback:      {writeback:>8} kB\nWritebackTmp:   999999 kB\n"
            )
        };
        assert!(little_else_to_write(&meminfo(464, 0)));
        assert!(little_else_to_write(&meminfo(1000, 24)));
        assert!(!little_else_to_write(&meminfo(1000, 25)));
        assert!(!little_else_to_write(&meminfo(250_000, 0)));
        // Unreadable or unexpected: the fsync per file.
        assert!(!little_else_to_write(""));
        assert!(!little_else_to_write("Dirty: 12 kB\n"));
        assert!(!little_else_to_write("Dirty: many kB\nWriteback: 0 kB\n"));
    }

    #[test]
    fn syncfs_only_on_file_systems_where_it_commits_like_fsync() {
        for magic in [0xEF53, 0x5846_5342, 0x9123_683E, 0xFFFF_FFFF_9123_683E] {
            assert!(commits_like_fsync(magic), "{magic:#x}");
        }
        // 9p, FUSE, NFS, SMB, tmpfs, overlayfs.
        for magic in [
            0x0102_1997,
            0x6573_5546,
            0x6969,
            0xFE53_4D42,
            0x0102_1994,
            0x794C_7630,
        ] {
            assert!(!commits_like_fsync(magic), "{magic:#x}");
        }
    }

    /// Files written by `gen` hold their bytes; temporary files' file system
    /// type reads as `stat` reads it, and `syncfs` takes their descriptors
    /// (which of the two ways `gen` takes depends on the machine's state).
    #[test]
    fn written_files_hold_their_bytes_and_their_file_system_is_read_right() {
        let dir = tempfile::tempdir().unwrap();
        let artifacts: Vec<Artifact> = ["web/web.config", "install.cmd"]
            .into_iter()
            .map(|path| Artifact {
                path: path.to_owned(),
                bytes: format!("bytes of {path}\r\n").into_bytes(),
            })
            .collect();
        assert_eq!(
            write_artifacts(
                dir.path(),
                &artifacts,
                &WriteOptions {
                    force: false,
                    inputs: &[],
                    lock: true
                }
            )
            .unwrap(),
            [true, true]
        );
        for artifact in &artifacts {
            assert_eq!(
                std::fs::read(dir.path().join(&artifact.path)).unwrap(),
                artifact.bytes
            );
        }
        let here = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let temps: Vec<NamedTempFile> = (0..2)
            .map(|_| {
                let mut temp = temporary_file(here.path()).unwrap();
                temp.write_all(b"x").unwrap();
                temp
            })
            .collect();
        let files: Vec<&File> = temps.iter().map(NamedTempFile::as_file).collect();
        for file in &files {
            finish_writeback(file).unwrap();
        }
        #[cfg(target_os = "linux")]
        {
            let firsts = one_file_per_file_system(&files).unwrap();
            assert_eq!(firsts.len(), 1, "two files in one folder");
            // The type as coreutils' `stat` reads it, in hex.
            let stat = std::process::Command::new("stat")
                .args(["-f", "-c", "%t"])
                .arg(here.path())
                .output()
                .unwrap();
            let told = String::from_utf8(stat.stdout).unwrap();
            assert_eq!(
                file_system_type(firsts[0]),
                u64::from_str_radix(told.trim(), 16).unwrap()
            );
            syncfs_each(&firsts).unwrap();
        }
    }
}
