//! A tiny dense f64 matrix type for the classical memories (P x P solves) and as the
//! independent reference the tensor code is tested against. Row-major; sizes here are small.

#[derive(Debug, Clone, PartialEq)]
pub struct Mat {
    pub rows: usize,
    pub cols: usize,
    pub v: Vec<f64>,
}

impl Mat {
    pub fn new(rows: usize, cols: usize, v: Vec<f64>) -> Self {
        assert_eq!(v.len(), rows * cols);
        Self { rows, cols, v }
    }
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self::new(rows, cols, vec![0.0; rows * cols])
    }
    pub fn eye(n: usize) -> Self {
        let mut m = Self::zeros(n, n);
        for i in 0..n {
            m.v[i * n + i] = 1.0;
        }
        m
    }
    pub fn at(&self, r: usize, c: usize) -> f64 {
        self.v[r * self.cols + c]
    }
    pub fn set(&mut self, r: usize, c: usize, x: f64) {
        self.v[r * self.cols + c] = x;
    }
    pub fn t(&self) -> Mat {
        let mut m = Mat::zeros(self.cols, self.rows);
        for r in 0..self.rows {
            for c in 0..self.cols {
                m.set(c, r, self.at(r, c));
            }
        }
        m
    }
    pub fn mul(&self, o: &Mat) -> Mat {
        assert_eq!(self.cols, o.rows);
        let mut m = Mat::zeros(self.rows, o.cols);
        for r in 0..self.rows {
            for k in 0..self.cols {
                let a = self.at(r, k);
                for c in 0..o.cols {
                    m.v[r * o.cols + c] += a * o.at(k, c);
                }
            }
        }
        m
    }
    pub fn add(&self, o: &Mat) -> Mat {
        Mat::new(self.rows, self.cols, self.v.iter().zip(&o.v).map(|(a, b)| a + b).collect())
    }
    pub fn sub(&self, o: &Mat) -> Mat {
        Mat::new(self.rows, self.cols, self.v.iter().zip(&o.v).map(|(a, b)| a - b).collect())
    }
    pub fn scale(&self, s: f64) -> Mat {
        Mat::new(self.rows, self.cols, self.v.iter().map(|a| a * s).collect())
    }
    pub fn trace(&self) -> f64 {
        (0..self.rows).map(|i| self.at(i, i)).sum()
    }
    /// Inverse by Gauss-Jordan with partial pivoting.
    pub fn inv(&self) -> Mat {
        let n = self.rows;
        let mut a = self.clone();
        let mut inv = Mat::eye(n);
        for col in 0..n {
            let p = (col..n).max_by(|&i, &j| a.at(i, col).abs().total_cmp(&a.at(j, col).abs())).unwrap();
            for c in 0..n {
                a.v.swap(col * n + c, p * n + c);
                inv.v.swap(col * n + c, p * n + c);
            }
            let d = a.at(col, col);
            for c in 0..n {
                a.v[col * n + c] /= d;
                inv.v[col * n + c] /= d;
            }
            for r in 0..n {
                if r != col {
                    let f = a.at(r, col);
                    for c in 0..n {
                        a.v[r * n + c] -= f * a.at(col, c);
                        inv.v[r * n + c] -= f * inv.at(col, c);
                    }
                }
            }
        }
        inv
    }
    /// ln det of a symmetric positive definite matrix (via Cholesky).
    pub fn logdet_spd(&self) -> f64 {
        let n = self.rows;
        let mut l = Mat::zeros(n, n);
        for j in 0..n {
            let mut d = self.at(j, j);
            for k in 0..j {
                d -= l.at(j, k).powi(2);
            }
            assert!(d > 0.0, "not positive definite");
            l.set(j, j, d.sqrt());
            for i in j + 1..n {
                let mut s = self.at(i, j);
                for k in 0..j {
                    s -= l.at(i, k) * l.at(j, k);
                }
                l.set(i, j, s / l.at(j, j));
            }
        }
        2.0 * (0..n).map(|i| l.at(i, i).ln()).sum::<f64>()
    }
    /// Eigenvalues of a symmetric matrix (cyclic Jacobi).
    pub fn sym_eigenvalues(&self) -> Vec<f64> {
        let n = self.rows;
        let mut a = self.clone();
        for _sweep in 0..100 {
            let off: f64 = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).filter(|(i, j)| i != j).map(|(i, j)| a.at(i, j).powi(2)).sum();
            if off < 1e-22 {
                break;
            }
            for p in 0..n {
                for q in p + 1..n {
                    let apq = a.at(p, q);
                    if apq.abs() < 1e-300 {
                        continue;
                    }
                    let theta = (a.at(q, q) - a.at(p, p)) / (2.0 * apq);
                    let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                    let t = if theta == 0.0 { 1.0 } else { t };
                    let c = 1.0 / (t * t + 1.0).sqrt();
                    let s = t * c;
                    for k in 0..n {
                        let (akp, akq) = (a.at(k, p), a.at(k, q));
                        a.set(k, p, c * akp - s * akq);
                        a.set(k, q, s * akp + c * akq);
                    }
                    for k in 0..n {
                        let (apk, aqk) = (a.at(p, k), a.at(q, k));
                        a.set(p, k, c * apk - s * aqk);
                        a.set(q, k, s * apk + c * aqk);
                    }
                }
            }
        }
        (0..n).map(|i| a.at(i, i)).collect()
    }
    /// Kronecker product self ⊗ o.
    pub fn kron(&self, o: &Mat) -> Mat {
        let mut m = Mat::zeros(self.rows * o.rows, self.cols * o.cols);
        for r in 0..self.rows {
            for c in 0..self.cols {
                for i in 0..o.rows {
                    for j in 0..o.cols {
                        m.set(r * o.rows + i, c * o.cols + j, self.at(r, c) * o.at(i, j));
                    }
                }
            }
        }
        m
    }
}

/// KL(N(m1, S1) ‖ N(m0, S0)) for dense Gaussians.
pub fn gaussian_kl(m1: &[f64], s1: &Mat, m0: &[f64], s0: &Mat) -> f64 {
    let n = m1.len();
    let s0_inv = s0.inv();
    let diff = Mat::new(n, 1, m1.iter().zip(m0).map(|(a, b)| a - b).collect());
    let maha = diff.t().mul(&s0_inv).mul(&diff).v[0];
    0.5 * (s0_inv.mul(s1).trace() + maha - n as f64 + s0.logdet_spd() - s1.logdet_spd())
}
