// SafeTensors module (in progress)
