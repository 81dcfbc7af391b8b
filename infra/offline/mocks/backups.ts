// Mock outputs for every backup registry kind (issue 3).
import "./azure";
import "./gcp";
import "./alibaba";
import "./ibm";
import "./aws";
