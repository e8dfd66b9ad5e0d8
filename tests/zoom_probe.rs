use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use kanerva::app::{ExplorerApp, Settings};

#[test]
fn probe() {
    let settings = Settings { show_help: true, ..Settings::default() };
    let app = ExplorerApp::new(&egui::Context::default(), settings);
    let mut h = Harness::builder().with_size([1500.0, 940.0]).build_ui_state(|ui, app: &mut ExplorerApp| app.show(ui), app);
    h.ctx.set_zoom_factor(1.5);
    for i in 0..30 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let r = h.query_by_label("Step").map(|n| n.rect());
        eprintln!("frame {i}: content {:?} zoom {} Step {:?}", h.ctx.content_rect(), h.ctx.zoom_factor(), r);
    }
}
