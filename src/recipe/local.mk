# The recipe module (JSON recipes <-> engine settings) adds itself here.
