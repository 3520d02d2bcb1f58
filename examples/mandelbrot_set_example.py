""" Mandelbrot Set example

Code from the Tentative NumPy Tutorial (the pikos documentation's example),
ported to Python 3: numpy only, no pylab; the image is summarised on the
screen instead of shown in a window.

Run it under pikos:

    pikos examples/mandelbrot_set_example.py
    pikos-run line_memory examples/mandelbrot_set_example.py --recording csv --focused-on=mandelbrot
"""

from numpy import conj, ogrid, zeros


def mandelbrot(h, w, maxit=20):
    '''Returns an image of the Mandelbrot fractal of size (h,w).
    '''
    y,x = ogrid[-1.4:1.4:h*1j, -2:0.8:w*1j]
    c = x+y*1j
    z = c
    divtime = maxit + zeros(z.shape, dtype=int)

    for i in range(maxit):
        z = z**2 + c
        diverge = z*conj(z) > 2**2          # who is diverging
        div_now = diverge & (divtime==maxit) # who is diverging now
        divtime[div_now] = i                # note when
        z[diverge] = 2                      # avoid diverging too much

    return divtime


def summary(image):
    """A few numbers in place of the seed's pylab.imshow window."""
    inside = int((image == image.max()).sum())
    return "{}x{} image, {} points never diverged".format(
        image.shape[0], image.shape[1], inside)


if __name__ == '__main__':
    print(summary(mandelbrot(400, 400)))
