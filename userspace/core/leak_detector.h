// Placeholder: the leak detector's interface is written here first.
#pragma once
