//! Where a new session's worktree goes, and the places it never goes: git's
//! own folders, or (from a project's template) through a symlink out of the
//! repository's area.

use std::os::unix::fs::symlink;

use crate::config::{Setting, Source};
use crate::session::testing::{Fixture, usage_error};

fn with_template(f: &mut Fixture, template: &str, source: Source) {
    f.ws.config.worktree_dir = Setting {
        value: template.into(),
        source,
    };
}

#[test]
fn the_default_layout_is_one_folder_per_name_beside_the_repository() {
    let f = Fixture::new();
    let sessions = f.dir.with_file_name("repo.sessions");
    assert_eq!(f.ws.placement("s", "s").unwrap(), sessions.join("s"));
    assert_eq!(
        f.ws.placement("feature/x", "other").unwrap(),
        sessions.join("feature-x")
    );
}

#[test]
fn never_inside_git_s_folder() {
    let mut f = Fixture::new();
    let user = Source::User(f.dir.join("config.toml"));
    for template in [
        ".git/wt/{name}",
        "./.git/{name}",
        "../repo/.git/x/{name}",
        "x/../.git/{name}",
    ] {
        with_template(&mut f, template, user.clone());
        let why = usage_error(f.ws.placement("s", "s"));
        assert!(why.contains("inside git's folder"), "{template}: {why}");
    }
    // Nor through a symlink that leads there.
    symlink(f.dir.join(".git"), f.dir.join("sneaky")).unwrap();
    with_template(&mut f, "sneaky/{name}", user.clone());
    usage_error(f.ws.placement("s", "s"));
    with_template(&mut f, "wt/{name}", user);
    assert_eq!(f.ws.placement("s", "s").unwrap(), f.dir.join("wt/s"));
}

#[test]
fn a_project_template_does_not_lead_out_through_a_symlink() {
    let mut f = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), f.dir.join("out")).unwrap();
    let project = Source::Project(f.dir.join(".sessions.toml"));
    with_template(&mut f, "out/{name}", project.clone());
    let why = usage_error(f.ws.placement("s", "s"));
    assert!(why.contains("through a symbolic link"), "{why}");
    // The same link in the user's own config is the user's choice.
    let user = Source::User(f.dir.join("config.toml"));
    with_template(&mut f, "out/{name}", user);
    assert_eq!(f.ws.placement("s", "s").unwrap(), f.dir.join("out/s"));
    // A project's link that stays in the area is fine.
    std::fs::create_dir(f.dir.with_file_name("area")).unwrap();
    symlink(f.dir.with_file_name("area"), f.dir.join("in")).unwrap();
    with_template(&mut f, "in/{name}", project);
    assert_eq!(f.ws.placement("s", "s").unwrap(), f.dir.join("in/s"));
}
