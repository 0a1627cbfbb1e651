package bot

import "math"

// The model learns a correction to the hand weights: the rank is
// alpha·(hand rank) + v·features, with an L2 penalty lambda on v only, so
// that a strong penalty gives back the hand weights' ranking and the
// cross-validation chooses how far to move from it. Its parameters are
// alpha then v.
const nParams = nFeatures + 1

type params [nParams]float64

// weightsOf turns the parameters into the ranking's weights.
func weightsOf(p params, prior *features) features {
	var w features
	for k := range nFeatures {
		w[k] = p[0]*prior[k] + p[k+1]
	}
	return w
}

// expand is a section's features as the parameters see them.
func expand(f *features, prior *features) params {
	var x params
	x[0] = f.dot(prior)
	copy(x[1:], f[:])
	return x
}

// logitLoss is the conditional logit's loss of p on items (the mean of
// -log of the probability of the right sections) with the penalty, and its
// gradient and an approximation of its Hessian (the covariance of the
// features under the model, which is never negative).
func logitLoss(items [][]params, right [][]bool, p *params, lambda float64) (float64, params, [nParams][nParams]float64) {
	var loss float64
	var g params
	var h [nParams][nParams]float64
	n := 0
	sc := []float64{}
	for qi, xs := range items {
		n++
		sc = sc[:0]
		m := math.Inf(-1)
		for i := range xs {
			s := dotp(&xs[i], p)
			sc = append(sc, s)
			m = math.Max(m, s)
		}
		var z, zr float64
		for i := range sc {
			sc[i] = math.Exp(sc[i] - m)
			z += sc[i]
			if right[qi][i] {
				zr += sc[i]
			}
		}
		loss += math.Log(z) - math.Log(zr)
		var mu, mr params
		for i := range sc {
			for k := range nParams {
				mu[k] += sc[i] / z * xs[i][k]
				if right[qi][i] {
					mr[k] += sc[i] / zr * xs[i][k]
				}
			}
		}
		for k := range nParams {
			g[k] += mu[k] - mr[k]
		}
		for i := range sc {
			for a := range nParams {
				da := sc[i] / z * (xs[i][a] - mu[a])
				for b := range nParams {
					h[a][b] += da * (xs[i][b] - mu[b])
				}
			}
		}
	}
	nf := float64(max(n, 1))
	loss /= nf
	for k := range nParams {
		g[k] /= nf
		for b := range nParams {
			h[k][b] /= nf
		}
		h[k][k] += 1e-6
		if k > 0 {
			loss += lambda / 2 * p[k] * p[k]
			g[k] += lambda * p[k]
			h[k][k] += lambda
		}
	}
	return loss, g, h
}

func dotp(a, b *params) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// trainWeights fits the model by Newton steps with a backtracking line
// search, from the hand weights, on the answerable items that have a right
// section among those ranked.
func trainWeights(items []trainItem, prior *features, lambda float64) features {
	var xs [][]params
	var right [][]bool
	for _, ti := range items {
		if !ti.answerable || !anyTrue(ti.right) {
			continue
		}
		x := make([]params, len(ti.feats))
		for i := range ti.feats {
			x[i] = expand(&ti.feats[i], prior)
		}
		xs, right = append(xs, x), append(right, ti.right)
	}
	p := params{1}
	for range 100 {
		loss, g, h := logitLoss(xs, right, &p, lambda)
		d := solve(h, g)
		step := 1.0
		var next params
		for range 40 {
			for k := range nParams {
				next[k] = p[k] - step*d[k]
			}
			if l, _, _ := logitLoss(xs, right, &next, lambda); l <= loss-1e-4*step*dotp(&g, &d) {
				break
			}
			step /= 2
		}
		done := math.Abs(step*dotp(&g, &d)) < 1e-10
		p = next
		if done {
			break
		}
	}
	// The ranking is the same for any positive multiple of the weights:
	// divided by alpha, they stay on the hand weights' scale, which the
	// ratios of "also relevant" and of the search's second section assume.
	w := weightsOf(p, prior)
	for k := range w {
		w[k] /= p[0]
	}
	return w
}

// solve returns x with h·x = g, by Gaussian elimination with partial
// pivoting (h is symmetric and positive definite).
func solve(h [nParams][nParams]float64, g params) params {
	const n = nParams
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[p][c]) {
				p = r
			}
		}
		h[c], h[p] = h[p], h[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < n; r++ {
			f := h[r][c] / h[c][c]
			for k := c; k < n; k++ {
				h[r][k] -= f * h[c][k]
			}
			g[r] -= f * g[c]
		}
	}
	var x params
	for r := n - 1; r >= 0; r-- {
		s := g[r]
		for k := r + 1; k < n; k++ {
			s -= h[r][k] * x[k]
		}
		x[r] = s / h[r][r]
	}
	return x
}
